"""The hub's settings: a TOML file (``[hub]`` table), then the environment (docs/hub.md, "Configuration").

``CCCD_HUB_DSN`` overrides ``dsn``: a deployer points the hub at an existing PostgreSQL server that way.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


class HubConfigError(Exception):
    """The configuration file or a value in it is not usable."""


@dataclass(frozen=True, slots=True)
class HubSettings:
    dsn: str = field(default="", repr=False)  # carries the database password
    host: str = "127.0.0.1"
    port: int = 8790
    keys_dir: str = "build/hub/keys"  # the hub's ES256 signing keys (kiosk.keys.KeyStore layout)
    issuer: str = "urn:cccd:hub"
    pool_size: int = 10
    workers: int = 1  # fan-out worker threads per replica (0: this replica does not deliver)
    worker_batch: int = 32
    worker_concurrency: int = 8
    lease_seconds: float = 60.0
    max_attempts: int = 12
    max_body_bytes: int = 1024 * 1024
    heartbeat_seconds: int = 60
    offline_after_seconds: int = 180
    clock_skew_seconds: int = 300
    kiosk_cache_seconds: float = (
        30.0  # kiosk secrets/keys cached per replica (revocation is re-checked on write)
    )
    enrol_token_hours: int = 24
    retention_days: int = 30
    heartbeat_retention_days: int = 7
    session_hours: int = 8
    log_level: str = "info"
    replica_id: str = ""

    def with_overrides(self, **values: Any) -> HubSettings:
        return replace(self, **{k: v for k, v in values.items() if v is not None})


_TYPES = {f.name: f.type for f in fields(HubSettings)}
_EXPECTED: dict[str, type | tuple[type, ...]] = {"str": str, "int": int, "float": (int, float)}


def load_settings(path: Path | None = None, env: dict[str, str] | None = None) -> HubSettings:
    """Defaults, then the file's ``[hub]`` table, then ``CCCD_HUB_DSN``."""
    env = dict(os.environ) if env is None else env
    values: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise HubConfigError(f"{path}: not readable ({exc.strerror})") from None
        except tomllib.TOMLDecodeError as exc:
            raise HubConfigError(f"{path}: not valid TOML ({exc})") from None
        table = data.get("hub", {})
        if not isinstance(table, dict):
            raise HubConfigError(f"{path}: [hub] must be a table")
        for key, value in table.items():
            kind = _TYPES.get(key)
            if kind is None:
                raise HubConfigError(f"{path}: unknown setting hub.{key}")
            expected = _EXPECTED[str(kind)]
            if isinstance(value, bool) or not isinstance(value, expected):
                raise HubConfigError(f"{path}: hub.{key} must be {kind}")
            values[key] = float(value) if isinstance(value, int) and kind == "float" else value
    if env.get("CCCD_HUB_DSN"):
        values["dsn"] = env["CCCD_HUB_DSN"]
    settings = HubSettings(**values)
    if settings.max_body_bytes < 1024 or settings.pool_size < 1 or settings.workers < 0:
        raise HubConfigError("max_body_bytes ≥ 1024, pool_size ≥ 1 and workers ≥ 0 are required")
    return settings
