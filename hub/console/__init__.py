"""The operator console (docs/hub.md, "Operator console"): server-rendered pages under ``/console``."""

from __future__ import annotations

from hub.console.routes import install

__all__ = ["install"]
