"""Kiosk orchestration: state machine, effect runner, composition root, connectors, storage, CLI."""
