"""Biometrics with consent: signed consents, templates sealed to one lock, media, erase."""
