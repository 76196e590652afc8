"""Our automation blueprints, validated and run by Home Assistant itself."""
