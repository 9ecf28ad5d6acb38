"""reader/pki."""
