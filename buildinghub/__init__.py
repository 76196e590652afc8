"""Building Hub device logic: grants, the building network, devices. No Home Assistant imports."""
