"""Default locations of the kiosk's state: ``$CCCD_DATA_DIR`` or ``~/.local/share/cccd-kiosk``."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    env = os.environ.get("CCCD_DATA_DIR")
    return Path(env) if env else Path.home() / ".local" / "share" / "cccd-kiosk"


def default_db() -> Path:
    return data_dir() / "kiosk.db"


def default_keys() -> Path:
    return data_dir() / "keys"


def default_receiver_db() -> Path:
    return data_dir() / "receiver.db"
