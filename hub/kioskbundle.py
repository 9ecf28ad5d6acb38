"""What a kiosk takes from its site's configuration bundle (docs/hub.md, "Configuration bundles" and "The
kiosk's fleet agent").

:func:`read_bundle` turns a verified bundle's content into the parts a running kiosk applies between
transactions: the profile (parsed as the profile files are, :func:`kiosk.profiles.parse_profile`), the
trust store (CSCA certificates, master lists and CRLs, parsed by :mod:`reader.pki.trust`; ``None`` when
the hub distributes none, so the kiosk keeps its own) and the settings it knows.  Anything it cannot use is
a :class:`hub.bundle.BundleError`: the bundle is refused as a whole, the last good one stays, and the
refusal is reported in the next heartbeat.  An unknown setting is refused too (a misspelt key silently
ignored is a kiosk running with a value nobody chose — the rule of ``kiosk.toml``, kiosk/config.py).
"""

from __future__ import annotations

import base64
import binascii
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub.bundle import BundleError
from kiosk.config import LANGUAGES
from kiosk.profiles import Profile, ProfileError, parse_profile
from reader.errors import ReaderError
from reader.pki.trust import CSCAStore

TRUST_KINDS = ("csca", "master_list", "crl")
#: The bundle settings a kiosk applies, and what each must be.
SETTINGS: Mapping[str, str] = {"language": f"one of {', '.join(LANGUAGES)}: the language offered first"}


@dataclass(frozen=True, slots=True)
class KioskBundle:
    """A bundle's applicable parts; ``trust`` is ``None`` when the bundle carries no trust store."""

    version: int
    etag: str | None
    profile: Profile
    trust: CSCAStore | None
    language: str | None = None

    def languages(self, current: tuple[str, ...]) -> tuple[str, ...]:
        """The language screen's order with the bundle's first language first (``current`` otherwise)."""
        if self.language is None:
            return current
        return (self.language, *(x for x in current if x != self.language))

    def summary(self) -> dict[str, Any]:
        """What the heartbeat says of it (no certificate contents)."""
        trust = None if self.trust is None else {"certificates": len(self.trust),
                                                 "crls": len(self.trust.crls)}  # fmt: skip
        return {"version": self.version, "profile": self.profile.name, "trust_store": trust,
                "language": self.language}  # fmt: skip


def read_bundle(content: Mapping[str, Any], etag: str | None = None) -> KioskBundle:
    """The kiosk's view of a verified bundle's content; :class:`BundleError` names what is unusable."""
    version = content.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise BundleError("the bundle's version is not a number")
    profile = content.get("profile")
    try:
        parsed = parse_profile(tomllib.loads(profile["toml"]), f"bundle v{version}")  # type: ignore[index]
    except (ProfileError, tomllib.TOMLDecodeError, TypeError, KeyError) as exc:
        raise BundleError(f"the bundle's profile is not valid ({exc})") from None
    return KioskBundle(version, etag, parsed, trust_store(content.get("trust_store")),
                       _settings(content.get("settings")))  # fmt: skip


def trust_store(entries: Any) -> CSCAStore | None:
    """The bundle's trust store (``[{"name", "kind", "der_b64"}]``); ``None`` for an empty list."""
    if not isinstance(entries, list):
        raise BundleError("the bundle's trust store is not a list")
    if not entries:
        return None
    store = CSCAStore()
    for i, entry in enumerate(entries):
        name = entry.get("name", f"#{i}") if isinstance(entry, dict) else f"#{i}"
        if not isinstance(entry, dict) or entry.get("kind") not in TRUST_KINDS:
            raise BundleError(f"trust store entry {name}: kind must be one of {', '.join(TRUST_KINDS)}")
        try:
            der = base64.b64decode(str(entry.get("der_b64", "")), validate=True)
            if entry["kind"] == "csca":
                store.add(der)
            elif entry["kind"] == "master_list":
                store.add_master_list(der)
            else:
                store.add_crl(der)
        except (binascii.Error, ValueError, IndexError, ReaderError) as exc:
            raise BundleError(f"trust store entry {name} ({entry['kind']}) is not usable: "
                              f"{type(exc).__name__}") from None  # fmt: skip
    if not len(store):
        raise BundleError("the bundle's trust store holds no CSCA certificate")
    return store


def _settings(settings: Any) -> str | None:
    if not isinstance(settings, dict):
        raise BundleError("the bundle's settings are not an object")
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise BundleError(f"the bundle's settings {', '.join(unknown)} are unknown to this kiosk "
                          f"(it applies {', '.join(SETTINGS)})")  # fmt: skip
    language = settings.get("language")
    if language is not None and language not in LANGUAGES:
        raise BundleError(f"the bundle's language must be {SETTINGS['language']}")
    return language if isinstance(language, str) else None
