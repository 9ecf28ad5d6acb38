"""Secret references: a configuration names where a secret is (``env:NAME`` or ``file:/path``), never
the secret itself (docs/deploy.md, "Configuration"; docs/insurance.md, "Settings and secrets").

:func:`is_secret_ref` is the one check of such a reference's form in a configuration file;
:func:`read_secret` is the one reader of such a reference, for the webhook keys (kiosk.connectors), the
BHXH gateway's account (kiosk.insurance) and the operator PIN (cccd.config).  Its errors name the
variable or say the file is missing, never the value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SecretRefError(Exception):
    """The reference cannot be read; the message completes "<what> secret …"."""


def is_secret_ref(value: str) -> bool:
    """Whether ``value`` is a reference a configuration file may hold: ``env:NAME`` (a variable name) or
    ``file:/absolute/path``."""
    scheme, _, rest = value.partition(":")
    if scheme == "env":
        return _ENV_NAME.fullmatch(rest) is not None
    return scheme == "file" and PurePosixPath(rest).is_absolute()


def read_secret(ref: str, env: Mapping[str, str] | None = None) -> str:
    """The text ``ref`` points to, stripped; an unknown scheme, a missing variable or file, an unreadable
    or empty secret is a :class:`SecretRefError`.  ``env``: the variables (default: the process's)."""
    scheme, _, rest = ref.partition(":")
    try:
        if scheme == "env":
            value = (os.environ if env is None else env)[rest]
        elif scheme == "file":
            value = Path(rest).read_text("utf-8")
        else:
            raise SecretRefError("must be given as env:NAME or file:/path")
    except KeyError:
        raise SecretRefError(f"not available (environment variable {rest})") from None
    except (OSError, UnicodeDecodeError):
        raise SecretRefError("file not readable") from None
    if not value.strip():
        raise SecretRefError("is empty")
    return value.strip()
