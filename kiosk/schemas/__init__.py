"""JSON Schemas of the objects the kiosk publishes (docs/evidence.md)."""
