"""The fleet hub (docs/hub.md): enrolment, ingest, fan-out, heartbeats, configuration bundles, console."""
