"""The release as a property manager installs it: scripts/release and a stock Home Assistant."""
