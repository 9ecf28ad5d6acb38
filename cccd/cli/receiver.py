"""``cccd receiver``: the reference receiving server, a separate package (receiver/, docs/receiver.md)."""

from __future__ import annotations

from receiver.cli import register as register
