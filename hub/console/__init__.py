"""The operator console (docs/hub.md, "Operator console")."""

from __future__ import annotations

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    """Mount the console's routes on ``app``."""
