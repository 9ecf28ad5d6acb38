"""reader/auth."""
