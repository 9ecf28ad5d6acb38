"""The kiosk's one configuration file (``kiosk.toml``): a typed, validated model — pure parsing, no I/O.

Every deployment-specific value lives here: the device and site IDs, the staffed counter, the deployment
profile (a built-in name or a profile file), the reader, the camera, the trust and data directories, the
delivery endpoints (each overriding one connector of the profile, secrets only as ``env:NAME`` or
``file:/path`` references), the language, the voice, the printer, the operator PIN's reference and the
fleet hub it reports to (``[hub]``).
``cccd.config`` finds the file (``--config``, ``$CCCD_CONFIG``, ``/etc/cccd/kiosk.toml``) and applies it;
``deploy/kiosk.toml.example`` is the annotated example and docs/deploy.md the deployer's guide.

A mistake is a :class:`ConfigError` that names the key, what is wrong, and the fix.  An unknown key is a
mistake too (a misspelt key silently ignored is a kiosk running with a default nobody chose).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from kiosk.insurance.bhxh import BhxhSettings
from kiosk.insurance.step import InsuranceSettingsError, settings_from_mapping
from kiosk.secretref import is_secret_ref

LANGUAGES = ("vi", "en")
READER_KINDS = ("pcsc", "serial", "sim")
BUILTIN_PROFILES = ("hospital", "bank", "lodging", "public_service")
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_REF_HOWTO = 'write "env:NAME" (an environment variable) or "file:/absolute/path" (a 0600 file)'

#: The development kiosk's identity, used only when no configuration file exists (``cccd doctor`` fails a
#: kiosk that runs with it).
DEV_DEVICE_ID = "kiosk-dev-0001"
DEV_SITE_ID = "site-dev"


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One mistake: the dotted ``key``, what is wrong with it, and how to fix it."""

    key: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.key}: {self.problem} (fix: {self.fix})"


class ConfigError(ValueError):
    """The configuration file is unreadable or invalid; ``problems`` names every key at fault."""

    def __init__(self, source: str, problems: list[ConfigProblem]) -> None:
        self.source, self.problems = source, tuple(problems)
        super().__init__(f"{source}: " + "; ".join(str(p) for p in problems))


@dataclass(frozen=True, slots=True)
class SecretRef:
    """A reference to a secret — ``env:NAME`` or ``file:/path`` — never the secret itself."""

    ref: str

    def __str__(self) -> str:
        return self.ref


@dataclass(frozen=True, slots=True)
class Counter:
    """The staffed counter the fallback screen sends a person to."""

    name: str = "Quầy tiếp đón"
    number: str = "1"


@dataclass(frozen=True, slots=True)
class ReaderSettings:
    """``pcsc``: a PC/SC reader whose name contains ``name`` (empty: the first reader); ``serial``: a PN532
    on ``port``; ``sim``: the simulated card (development and demos only)."""

    kind: str = "pcsc"
    name: str = ""
    port: str = ""


def video_device(value: Any) -> int | None:
    """``value`` as a V4L2 device number (``/dev/videoN``, 0–63), or ``None`` when it is not one."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 64:
        return value
    return None


@dataclass(frozen=True, slots=True)
class CameraSettings:
    """``device``: the V4L2 device number (``/dev/videoN``); ``sim``: the simulated camera.
    ``reader_device``: the reader's own camera, which sees the card lying on the reader (its QR code or
    MRZ gives the key: one placement; docs/flow.md "Card on the reader"); ``None``: the card is held up to
    the main camera instead."""

    device: int = 0
    sim: bool = False
    reader_device: int | None = None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where one of the profile's connectors delivers: its URL, its webhook secret, optional TLS files."""

    connector: str
    url: str
    secret: SecretRef
    ca_bundle: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None


@dataclass(frozen=True, slots=True)
class VoiceSettings:
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class PrinterSettings:
    """Receipt printing on a CUPS queue (``queue`` empty: the system's default printer)."""

    enabled: bool = False
    queue: str = ""


@dataclass(frozen=True, slots=True)
class HubLink:
    """The fleet hub this kiosk reports to (docs/hub.md, "The kiosk's fleet agent"): the enrolment file
    written by ``cccd hub enrol --out`` (hub URL, kiosk and site IDs, webhook secret, the hub's keys; 0600),
    how often to send a heartbeat and to ask for the site's bundle, each request's time limit, and where
    the last good bundle is kept (default: ``hub`` in the data directory).  ``enrolment`` unset: no hub."""

    enrolment: Path | None = None
    heartbeat_seconds: float = 60.0
    bundle_seconds: float = 300.0
    timeout_seconds: float = 10.0
    bundle_dir: Path | None = None

    @property
    def enabled(self) -> bool:
        return self.enrolment is not None


#: Heartbeats less often than this would make the hub show the kiosk offline (its rule: 180 s of silence).
MAX_HEARTBEAT_SECONDS = 120.0


@dataclass(frozen=True, slots=True)
class KioskSettings:
    """The whole file, validated.  ``KioskSettings()`` is the embedded development default."""

    device_id: str = DEV_DEVICE_ID
    site_id: str = DEV_SITE_ID
    profile: str = "hospital"  # a built-in profile name or a path to a profile .toml
    language: str = "vi"
    data_dir: Path | None = None  # None: $CCCD_DATA_DIR or ~/.local/share/cccd-kiosk (kiosk.storage.paths)
    trust_dir: Path | None = None
    counter: Counter = field(default_factory=Counter)
    reader: ReaderSettings = field(default_factory=ReaderSettings)
    camera: CameraSettings = field(default_factory=CameraSettings)
    delivery: tuple[Endpoint, ...] = ()
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    printer: PrinterSettings = field(default_factory=PrinterSettings)
    operator_pin: SecretRef | None = None
    hub: HubLink = field(default_factory=HubLink)
    insurance: BhxhSettings | None = None  # [insurance]: a hospital's BHXH gateway (docs/insurance.md)

    @property
    def is_development(self) -> bool:
        return self.device_id == DEV_DEVICE_ID or self.site_id == DEV_SITE_ID

    def profile_is_file(self) -> bool:
        return self.profile not in BUILTIN_PROFILES

    def redacted(self) -> dict[str, Any]:
        """The settings as plain data for ``cccd config show``: secret references are shown as references
        (``env:NAME``), a secret's value is never part of the settings."""
        out: dict[str, Any] = {
            "kiosk": {"device_id": self.device_id, "site_id": self.site_id, "profile": self.profile,
                      "language": self.language,
                      "data_dir": str(self.data_dir) if self.data_dir else None,
                      "trust_dir": str(self.trust_dir) if self.trust_dir else None},
            "counter": {"name": self.counter.name, "number": self.counter.number},
            "reader": {"kind": self.reader.kind, "name": self.reader.name, "port": self.reader.port},
            "camera": {"device": "sim" if self.camera.sim else self.camera.device,
                       "reader_device": self.camera.reader_device},
            "delivery": [{"connector": e.connector, "url": e.url, "secret": str(e.secret),
                          "ca_bundle": str(e.ca_bundle) if e.ca_bundle else None,
                          "client_cert": str(e.client_cert) if e.client_cert else None,
                          "client_key": str(e.client_key) if e.client_key else None} for e in self.delivery],
            "voice": {"enabled": self.voice.enabled},
            "printer": {"enabled": self.printer.enabled, "queue": self.printer.queue},
            "operator": {"pin": str(self.operator_pin) if self.operator_pin else None},
            "hub": {"enrolment": str(self.hub.enrolment) if self.hub.enrolment else None,
                    "heartbeat_seconds": self.hub.heartbeat_seconds,
                    "bundle_seconds": self.hub.bundle_seconds,
                    "timeout_seconds": self.hub.timeout_seconds,
                    "bundle_dir": str(self.hub.bundle_dir) if self.hub.bundle_dir else None},
        }  # fmt: skip
        if self.insurance is not None:  # the password and the officer are references, like every secret
            i = self.insurance
            out["insurance"] = {"base_url": i.base_url, "username": i.username, "password": i.password_ref,
                                "officer_name": i.officer_name_ref, "officer_id": i.officer_id_ref,
                                "facility_code": i.facility_code,
                                "budget_seconds": i.budget_seconds}  # fmt: skip
        return out


# --- parsing -------------------------------------------------------------------------------------------

_SECTIONS: Mapping[str, frozenset[str]] = {
    "kiosk": frozenset({"device_id", "site_id", "profile", "language", "data_dir", "trust_dir"}),
    "counter": frozenset({"name", "number"}),
    "reader": frozenset({"kind", "name", "port"}),
    "camera": frozenset({"device", "reader_device"}),
    "voice": frozenset({"enabled"}),
    "printer": frozenset({"enabled", "queue"}),
    "operator": frozenset({"pin"}),
    "hub": frozenset({"enrolment", "heartbeat_seconds", "bundle_seconds", "timeout_seconds", "bundle_dir"}),
    "insurance": frozenset({"base_url", "username", "password", "officer_name", "officer_id", "facility_code",
                            "connect_timeout_seconds", "read_timeout_seconds", "budget_seconds",
                            "max_attempts"}),
}
_ENDPOINT_KEYS = frozenset({"connector", "url", "secret", "ca_bundle", "client_cert", "client_key"})


class _Parser:
    def __init__(self) -> None:
        self.problems: list[ConfigProblem] = []

    def bad(self, key: str, problem: str, fix: str) -> None:
        self.problems.append(ConfigProblem(key, problem, fix))

    def table(self, data: Mapping[str, Any], name: str) -> dict[str, Any]:
        value = data.get(name, {})
        if not isinstance(value, dict):
            self.bad(name, "must be a table", f"write it as a [{name}] section")
            return {}
        for key in sorted(set(value) - _SECTIONS[name]):
            self.bad(f"{name}.{key}", "unknown key",
                     f"remove it; [{name}] takes {', '.join(sorted(_SECTIONS[name]))}")  # fmt: skip
        return value

    def text(self, t: Mapping[str, Any], where: str, key: str, default: str, *,
             pattern: re.Pattern[str] | None = None, choices: tuple[str, ...] = (),
             fix: str = "") -> str:  # fmt: skip
        value = t.get(key, default)
        full = f"{where}.{key}"
        if isinstance(value, int) and not isinstance(value, bool) and key == "number":
            value = str(value)
        if not isinstance(value, str):
            self.bad(full, f"must be a string, not {type(value).__name__}", fix or f'write {key} = "..."')
            return default
        if choices and value not in choices:
            self.bad(full, f"{value!r} is not one of {', '.join(choices)}", fix or f"use one of {choices}")
            return default
        if pattern is not None and not pattern.fullmatch(value):
            self.bad(full, f"{value!r} is not valid", fix)
            return default
        return value

    def flag(self, t: Mapping[str, Any], where: str, key: str, default: bool) -> bool:
        value = t.get(key, default)
        if not isinstance(value, bool):
            self.bad(f"{where}.{key}", "must be true or false", f"write {key} = true or {key} = false")
            return default
        return value

    def seconds(self, t: Mapping[str, Any], where: str, key: str, default: float, most: float) -> float:
        value = t.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= most:
            self.bad(f"{where}.{key}", f"{value!r} is not a number of seconds in (0, {most:g}]",
                     f"write {key} = {default:g}")  # fmt: skip
            return default
        return float(value)

    def path(self, t: Mapping[str, Any], where: str, key: str) -> Path | None:
        value = t.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            self.bad(f"{where}.{key}", "must be a non-empty path string", f'write {key} = "/absolute/path"')
            return None
        if not PurePosixPath(value).is_absolute():
            self.bad(f"{where}.{key}", f"{value!r} is relative (a service's working directory is not yours)",
                     f'write an absolute path, e.g. {key} = "/var/lib/cccd"')  # fmt: skip
            return None
        return Path(value)

    def secret(self, value: Any, key: str) -> SecretRef | None:
        if not isinstance(value, str):
            self.bad(key, "must be a string reference", 'write "env:NAME" or "file:/etc/cccd/secret"')
            return None
        if not is_secret_ref(value):
            self.bad(key, "is not a secret reference (a secret itself never goes into this file)",
                     _REF_HOWTO)  # fmt: skip
            return None
        return SecretRef(value)

    def url(self, value: Any, key: str, has_tls: bool) -> str:
        parts = urlsplit(value) if isinstance(value, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            self.bad(key, "must be an http(s) URL", 'write url = "https://host/path"')
            return ""
        if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
            self.bad(key, "plain http is allowed only to loopback", "use an https:// URL")
        if has_tls and parts.scheme != "https":
            self.bad(key, "TLS files are set but the URL is not https", "use an https:// URL")
        return str(value)


def parse_config(data: Mapping[str, Any], source: str = "kiosk.toml") -> KioskSettings:
    """Validate parsed TOML; raises :class:`ConfigError` listing every problem (key, what, fix)."""
    p = _Parser()
    for key in sorted(set(data) - set(_SECTIONS) - {"delivery"}):
        p.bad(key, "unknown section", f"remove it; sections are {', '.join([*_SECTIONS, 'delivery'])}")
    k = p.table(data, "kiosk")
    d = KioskSettings()
    id_fix = "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
    device_id = p.text(k, "kiosk", "device_id", d.device_id, pattern=_ID, fix=id_fix)
    site_id = p.text(k, "kiosk", "site_id", d.site_id, pattern=_ID, fix=id_fix)
    profile = p.text(k, "kiosk", "profile", d.profile)
    if profile not in BUILTIN_PROFILES and not (
        profile.endswith(".toml") and PurePosixPath(profile).is_absolute()
    ):
        p.bad(
            "kiosk.profile",
            f"{profile!r} is neither a built-in profile nor an absolute .toml path",
            f"use one of {', '.join(BUILTIN_PROFILES)} or a path like /etc/cccd/profiles/clinic.toml",
        )
    language = p.text(k, "kiosk", "language", d.language, choices=LANGUAGES)
    data_dir, trust_dir = p.path(k, "kiosk", "data_dir"), p.path(k, "kiosk", "trust_dir")

    c = p.table(data, "counter")
    counter = Counter(p.text(c, "counter", "name", d.counter.name),
                      p.text(c, "counter", "number", d.counter.number))  # fmt: skip
    if not counter.number.strip() or len(counter.number) > 8:
        p.bad("counter.number", "must be 1-8 characters", 'write number = "3" (what the counter sign shows)')

    r = p.table(data, "reader")
    reader = ReaderSettings(p.text(r, "reader", "kind", "pcsc", choices=READER_KINDS),
                            p.text(r, "reader", "name", ""), p.text(r, "reader", "port", ""))  # fmt: skip
    if reader.kind == "serial" and not PurePosixPath(reader.port).is_absolute():
        p.bad("reader.port", "a serial reader needs its device path", 'write port = "/dev/ttyUSB0"')

    cam = p.table(data, "camera")
    raw = cam.get("device", 0)
    camera = CameraSettings()
    if raw == "sim":
        camera = CameraSettings(0, sim=True)
    elif (device := video_device(raw)) is not None:
        camera = CameraSettings(device)
    else:
        p.bad("camera.device", f"{raw!r} is not a camera", 'write device = 0 (for /dev/video0) or "sim"')
    if "reader_device" in cam:
        on_reader = cam["reader_device"]
        if (device := video_device(on_reader)) is not None:
            camera = replace(camera, reader_device=device)
        else:
            p.bad("camera.reader_device", f"{on_reader!r} is not a camera",
                  "write reader_device = 2 (for /dev/video2), or leave it out")  # fmt: skip

    v, pr, op = p.table(data, "voice"), p.table(data, "printer"), p.table(data, "operator")
    voice = VoiceSettings(p.flag(v, "voice", "enabled", True))
    printer = PrinterSettings(p.flag(pr, "printer", "enabled", False), p.text(pr, "printer", "queue", ""))
    pin = p.secret(op["pin"], "operator.pin") if "pin" in op else None

    endpoints = _endpoints(p, data.get("delivery", []))
    hub = _hub(p, p.table(data, "hub"))
    insurance = _insurance(p, data) if "insurance" in data else None
    if p.problems:
        raise ConfigError(source, p.problems)
    return KioskSettings(device_id, site_id, profile, language, data_dir, trust_dir, counter, reader, camera,
                         endpoints, voice, printer, pin, hub, insurance)  # fmt: skip


def _hub(p: _Parser, h: Mapping[str, Any]) -> HubLink:
    d = HubLink()
    return HubLink(p.path(h, "hub", "enrolment"),
                   p.seconds(h, "hub", "heartbeat_seconds", d.heartbeat_seconds, MAX_HEARTBEAT_SECONDS),
                   p.seconds(h, "hub", "bundle_seconds", d.bundle_seconds, 86400.0),
                   p.seconds(h, "hub", "timeout_seconds", d.timeout_seconds, 60.0),
                   p.path(h, "hub", "bundle_dir"))  # fmt: skip


def _insurance(p: _Parser, data: Mapping[str, Any]) -> BhxhSettings | None:
    """``[insurance]``: the hospital's BHXH gateway account (secrets as references; docs/insurance.md)."""
    t = p.table(data, "insurance")
    try:
        return settings_from_mapping(t)
    except InsuranceSettingsError as exc:
        for key, what in exc.problems:
            p.bad(f"insurance.{key}", what, "use an https:// URL" if key == "base_url" else _REF_HOWTO)
    except (ValueError, TypeError) as exc:
        p.bad("insurance", str(exc), "see docs/insurance.md, \"Settings and secrets\"")
    return None


def _endpoints(p: _Parser, raw: Any) -> tuple[Endpoint, ...]:
    if not isinstance(raw, list):
        p.bad("delivery", "must be an array of tables", "write each endpoint as a [[delivery]] section")
        return ()
    out: list[Endpoint] = []
    for i, e in enumerate(raw):
        where = f"delivery[{i}]"
        if not isinstance(e, dict):
            p.bad(where, "must be a table", "write it as a [[delivery]] section")
            continue
        for key in sorted(set(e) - _ENDPOINT_KEYS):
            p.bad(f"{where}.{key}", "unknown key", f"remove it; [[delivery]] takes {sorted(_ENDPOINT_KEYS)}")
        name = e.get("connector")
        if not isinstance(name, str) or not name:
            p.bad(
                f"{where}.connector", "is missing", 'name the profile\'s connector, e.g. connector = "fhir"'
            )
            continue
        if any(o.connector == name for o in out):
            p.bad(
                f"{where}.connector", f"{name!r} is configured twice", "keep one [[delivery]] per connector"
            )
        tls = {k: p.path(e, where, k) for k in ("ca_bundle", "client_cert", "client_key")}
        if (tls["client_cert"] is None) != (tls["client_key"] is None):
            p.bad(f"{where}.client_cert", "client_cert and client_key go together", "set both or neither")
        url = p.url(e.get("url"), f"{where}.url", any(tls.values()))
        secret = p.secret(e.get("secret"), f"{where}.secret")
        if secret is not None:
            out.append(Endpoint(name, url, secret, tls["ca_bundle"], tls["client_cert"], tls["client_key"]))
    return tuple(out)


def parse_config_text(text: str, source: str = "kiosk.toml") -> KioskSettings:
    """Parse and validate the file's text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            source,
            [
                ConfigProblem(
                    "(file)", f"not valid TOML: {exc}", "fix the syntax at the line and column named"
                )
            ],
        ) from None
    return parse_config(data, source)
