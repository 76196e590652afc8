"""The developer commands' Python parts (scripts/demo, scripts/release) and what they share."""
