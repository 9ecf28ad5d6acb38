"""reader/lds."""
