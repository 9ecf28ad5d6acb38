"""reader/access."""
