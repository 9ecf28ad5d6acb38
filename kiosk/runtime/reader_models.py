"""Reader profiles from ``firmware_configs/readers.toml``, validated when loaded."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from reader.errors import ParseError
from reader.lds.cardaccess import parse_card_access


class ConfigError(ValueError):
    """A configuration file is malformed; the message names the file and the field."""


@dataclass(frozen=True, slots=True)
class ReaderProfile:
    match: str
    extended_length: bool
    note: str = ""


def _bool(entry: dict[str, Any], key: str, where: str) -> bool:
    value = entry.get(key)
    if not isinstance(value, bool):
        raise ConfigError(f"readers.toml: {where}: '{key}' must be true or false")
    return value


def load_reader_profiles(text: str | None = None) -> tuple[list[ReaderProfile], ReaderProfile]:
    """Profiles in match order, and the default."""
    if text is None:
        text = resources.files("firmware_configs").joinpath("readers.toml").read_text("utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"readers.toml: {exc}") from exc
    unknown = set(data) - {"default", "reader"}
    if unknown:
        raise ConfigError(f"readers.toml: unknown sections {sorted(unknown)}")
    default = ReaderProfile("", _bool(data.get("default", {}), "extended_length", "[default]"))
    profiles = []
    for i, entry in enumerate(data.get("reader", [])):
        where = f"[[reader]] #{i + 1}"
        if not isinstance(entry.get("match"), str) or not entry["match"]:
            raise ConfigError(f"readers.toml: {where}: 'match' must be a non-empty string")
        extra = set(entry) - {"match", "extended_length", "note"}
        if extra:
            raise ConfigError(f"readers.toml: {where}: unknown keys {sorted(extra)}")
        profiles.append(
            ReaderProfile(entry["match"], _bool(entry, "extended_length", where), str(entry.get("note", "")))
        )
    return profiles, default


def profile_for(reader_name: str) -> ReaderProfile:
    profiles, default = load_reader_profiles()
    for p in profiles:
        if p.match in reader_name:
            return p
    return default


@functools.lru_cache(maxsize=8)
def configured_card_access(card_type: str = "cccd", text: str | None = None) -> bytes:
    """The EF.CardAccess of ``firmware_configs/card_access.toml`` for a card type, checked to parse.

    Used by the reader only when a card's own EF.CardAccess cannot be read (ICAO 9303-11 §4.2).  Loaded
    and checked once per process (every read passes it to the engine).
    """

    if text is None:
        text = resources.files("firmware_configs").joinpath("card_access.toml").read_text("utf-8")
    try:
        entry = tomllib.loads(text)[card_type]
        raw = bytes.fromhex(entry["hex"])
        parse_card_access(raw)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"card_access.toml: {exc}") from exc
    except (KeyError, TypeError):
        raise ConfigError(f"card_access.toml: [{card_type}] with a 'hex' string is required") from None
    except (ValueError, ParseError) as exc:
        raise ConfigError(f"card_access.toml: [{card_type}]: not a valid EF.CardAccess ({exc})") from None
    return raw
