"""Parking bays as a service: bookings, the vehicle sensor's story of a booking, the map."""
