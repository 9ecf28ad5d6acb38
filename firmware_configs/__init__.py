"""firmware_configs package."""
