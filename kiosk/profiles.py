"""Deployment profiles: what a hospital, bank, lodging or public-service kiosk forwards, to whom, and why.

Profiles are data (``firmware_configs/profiles/<name>.toml``) validated strictly when loaded: an unknown
key, a missing key, a wrong type or a policy the law forbids (face data to a hotel, fingerprints anywhere,
plain HTTP to a remote host) is a :class:`ProfileError` naming the file and the key.  Duties follow
integrations.md (Law 91/2025/QH15, Decree 356/2025; SBV Decision 2345/QĐ-NHNN; Law on Residence 2020).
"""

from __future__ import annotations

import enum
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROFILE_DIR = Path(__file__).resolve().parents[1] / "firmware_configs" / "profiles"

#: Claims a profile may forward (kiosk.record.SubjectClaims).  Fingerprints (DG3) are never read.
FORWARDABLE_FIELDS = frozenset({
    "id_number", "old_id_number", "full_name", "birth_date", "sex", "nationality", "ethnicity",
    "religion", "place_of_origin", "address", "issue_date", "expiry_date",
})  # fmt: skip
PROFILE_KINDS = ("hospital", "bank", "lodging", "public_service")
CONNECTOR_KINDS: Mapping[str, frozenset[str]] = {
    "hospital": frozenset({"fhir", "his_webhook"}),
    "bank": frozenset({"bank_webhook"}),
    "lodging": frozenset({"lodging_webhook"}),
    "public_service": frozenset({"public_service_webhook"}),
}
SERVICE_KEYS: Mapping[str, frozenset[str]] = {
    "hospital": frozenset({"facility_code", "facility_name"}),
    "bank": frozenset({"institution_name"}),
    "lodging": frozenset({"establishment_name", "establishment_address", "default_reason"}),
    "public_service": frozenset({"form_code", "form_title", "office_name"}),
}
MAX_DEPARTMENTS = 8  # big buttons on one screen
_DEPARTMENT_CODE = re.compile(r"^[A-Z]{2,4}$")
INCONCLUSIVE_REASONS = frozenset({"CSCA_UNKNOWN", "NO_ANTICLONE_PROOF"})
ACCESS_DOWNGRADED = "ACCESS_DOWNGRADED"  # reader.chipreport: PACE was offered but BAC opened the chip
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class ProfileError(ValueError):
    """A profile file is missing, malformed, or states a policy the kiosk must not run."""


class EvidencePolicy(enum.Enum):
    """What happens to biometric evidence (integrations.md, duty 4)."""

    NEVER_STORE = "never_store"  # face images in memory only, wiped at the end of the session
    DELIVER_THEN_DELETE = "deliver_then_delete"  # bank: kept (encrypted) until the bank acknowledges


@dataclass(frozen=True, slots=True)
class Purpose:
    id: str
    required: bool  # the service cannot run without this choice
    text_vi: str
    text_en: str


@dataclass(frozen=True, slots=True)
class TLSSettings:
    """Mutual TLS: the kiosk's client certificate and key, and the CA bundle that signs the server."""

    client_cert: Path | None
    client_key: Path | None
    ca_bundle: Path | None


@dataclass(frozen=True, slots=True)
class ConnectorSettings:
    name: str
    kind: str
    url: str
    timeout_seconds: float
    connect_timeout_seconds: float
    audience: str
    webhook_secret: str  # a reference: "env:NAME" or "file:/path" — never the secret itself
    tls: TLSSettings | None


@dataclass(frozen=True, slots=True)
class ChipPolicy:
    """Which chip verdicts (reader.report.Verdict) the deployment accepts."""

    accept_csca_unknown: bool  # SOD valid, Document Signer not chained to a trusted CSCA
    require_anticlone_proof: bool  # CA, PACE-CAM or AA must have passed on a key the SOD covers
    require_online_check: bool  # the police's online chip check (pluggable) must have passed
    # False: a read whose access fell back from PACE to BAC (reason ACCESS_DOWNGRADED) is not enough —
    # every CCCD offers PACE, so a downgrade means a faulty card, reader or a manipulated link.
    accept_downgraded_access: bool = True

    def accepts(self, verdict: str, reasons: tuple[str, ...], online_check_passed: bool | None) -> bool:
        """True when this verdict is enough for the profile."""
        if self.require_online_check and online_check_passed is not True:
            return False
        if not self.accept_downgraded_access and ACCESS_DOWNGRADED in reasons:
            return False
        if verdict == "authentic":
            return True
        reasons = tuple(r for r in reasons if r != ACCESS_DOWNGRADED)
        if verdict != "inconclusive" or not reasons:
            return False
        allowed: set[str] = set()
        if self.accept_csca_unknown:
            allowed.add("CSCA_UNKNOWN")
        if not self.require_anticlone_proof:
            allowed.add("NO_ANTICLONE_PROOF")
        return set(reasons) <= allowed


@dataclass(frozen=True, slots=True)
class FacePolicy:
    required: bool
    liveness_required: bool
    max_attempts: int


@dataclass(frozen=True, slots=True)
class Department:
    """A hospital department the patient can choose at the kiosk (``[[service.departments]]``)."""

    code: str  # 2–4 capital letters: the queue number's prefix ("NOI" → "NOI-017") and the HIS's key
    name_vi: str
    name_en: str

    def name(self, language: str) -> str:
        return self.name_vi if language == "vi" else self.name_en


@dataclass(frozen=True, slots=True)
class Retention:
    """Days each kind of record is kept before the purge removes it."""

    results_days: int
    consent_days: int
    audit_days: int
    outbox_sent_days: int


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    kind: str
    description: str
    controller_name: str
    controller_contact: str
    purposes: tuple[Purpose, ...]
    consent_text_vi: str
    consent_text_en: str
    forwarded_fields: frozenset[str]
    connectors: tuple[ConnectorSettings, ...]
    chip: ChipPolicy
    face: FacePolicy
    biometric_evidence: EvidencePolicy
    retention: Retention
    trust_framework: str
    assurance_level: str
    service: Mapping[str, str]
    departments: tuple[Department, ...] = ()  # hospital: the departments offered, in screen order
    controller_name_en: str = ""  # [controller] name_en: the name on English screens

    def connector(self, name: str) -> ConnectorSettings:
        for c in self.connectors:
            if c.name == name:
                return c
        raise ProfileError(f"profile {self.name!r} has no connector {name!r}")

    def controller(self, language: str) -> str:
        """The controller's name as the screen in ``language`` shows it (issue 14: an English screen names
        it in English when the profile gives ``name_en``)."""
        english = language == "en" and self.controller_name_en
        return self.controller_name_en if english else self.controller_name

    def consent_text(self, language: str) -> str:
        if language == "vi":
            return self.consent_text_vi
        if language == "en":
            return self.consent_text_en
        raise ProfileError(f"no consent text in language {language!r} (vi, en)")

    def consent_document(self, language: str) -> str:
        """The exact text the consent screen shows (and whose SHA-256 the consent record keeps).

        Controller, the consent text, then each purpose as a separate choice (integrations.md, duty 1),
        in the words the person reads (``PURPOSE_MARK`` and the text; no internal purpose id — issue 14).
        """
        body = self.consent_text(language)
        lines = [self.controller(language), "", body, ""]
        for p in self.purposes:
            lines.append(f"{PURPOSE_MARK}{p.text_vi if language == 'vi' else p.text_en}")
        return "\n".join(lines)


PURPOSE_MARK = "☐ "  # a purpose's line in the consent document (the screen shows it as a tick row)


class _Table:
    """Strict reader of one TOML table: every key must be consumed, every type must match."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise ProfileError(f"{where}: must be a table")
        self._data: dict[str, Any] = dict(data)
        self.where = where

    def _take(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self._data:
            if default is ...:
                raise ProfileError(f"{self.where}.{key}: missing")
            return default
        value = self._data.pop(key)
        if isinstance(value, bool) and kind is not bool:
            raise ProfileError(f"{self.where}.{key}: wrong type")
        if not isinstance(value, kind):
            raise ProfileError(f"{self.where}.{key}: wrong type")
        return value

    def text(self, key: str, default: Any = ...) -> str:
        value = self._take(key, str, default)
        if value is not None and isinstance(value, str) and not value.strip() and default is ...:
            raise ProfileError(f"{self.where}.{key}: must not be empty")
        return str(value) if value is not None else ""

    def flag(self, key: str, default: Any = ...) -> bool:
        return bool(self._take(key, bool, default))

    def count(self, key: str, low: int, high: int) -> int:
        value = int(self._take(key, int))
        if not low <= value <= high:
            raise ProfileError(f"{self.where}.{key}: must be between {low} and {high}")
        return value

    def seconds(self, key: str, default: float) -> float:
        value = float(self._take(key, (int, float), default))
        if not 0 < value <= 120:
            raise ProfileError(f"{self.where}.{key}: must be > 0 and ≤ 120 seconds")
        return value

    def strings(self, key: str) -> list[str]:
        value = self._take(key, list)
        if not all(isinstance(v, str) for v in value):
            raise ProfileError(f"{self.where}.{key}: must be a list of strings")
        return list(value)

    def table(self, key: str) -> _Table:
        return _Table(self._take(key, dict), f"{self.where}.{key}")

    def opt_table(self, key: str) -> _Table | None:
        value = self._take(key, dict, None)
        return None if value is None else _Table(value, f"{self.where}.{key}")

    def tables(self, key: str) -> list[_Table]:
        value = self._take(key, list)
        return [_Table(v, f"{self.where}.{key}[{i}]") for i, v in enumerate(value)]

    def rest(self) -> dict[str, Any]:
        rest, self._data = self._data, {}
        return rest

    def done(self) -> None:
        if self._data:
            raise ProfileError(f"{self.where}: unknown key(s) {sorted(self._data)}")


def _secret_ref(value: str, where: str) -> str:
    scheme, _, rest = value.partition(":")
    if scheme not in ("env", "file") or not rest:
        raise ProfileError(f"{where}: must be a reference 'env:NAME' or 'file:/path', not a secret")
    return value


def _url(value: str, where: str, has_tls: bool) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProfileError(f"{where}: must be an http(s) URL")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        raise ProfileError(f"{where}: plain http is allowed only to loopback; use https")
    if has_tls and parts.scheme != "https":
        raise ProfileError(f"{where}: mutual TLS needs an https URL")
    return value


def _tls(t: _Table | None) -> TLSSettings | None:
    if t is None:
        return None
    paths = {k: t.text(k, None) or None for k in ("client_cert", "client_key", "ca_bundle")}
    t.done()
    if (paths["client_cert"] is None) != (paths["client_key"] is None):
        raise ProfileError(f"{t.where}: client_cert and client_key go together")
    return TLSSettings(*(Path(p) if p else None for p in paths.values()))


def _connector(t: _Table, profile_kind: str) -> ConnectorSettings:
    name, kind = t.text("name"), t.text("kind")
    if kind not in CONNECTOR_KINDS[profile_kind]:
        allowed = sorted(CONNECTOR_KINDS[profile_kind])
        raise ProfileError(f"{t.where}.kind: {kind!r} is not a {profile_kind} connector ({allowed})")
    tls = _tls(t.opt_table("tls"))
    settings = ConnectorSettings(
        name=name,
        kind=kind,
        url=_url(t.text("url"), f"{t.where}.url", tls is not None),
        timeout_seconds=t.seconds("timeout_seconds", 10.0),
        connect_timeout_seconds=t.seconds("connect_timeout_seconds", 3.0),
        audience=t.text("audience"),
        webhook_secret=_secret_ref(t.text("webhook_secret"), f"{t.where}.webhook_secret"),
        tls=tls,
    )
    t.done()
    return settings


def _purposes(tables: list[_Table]) -> tuple[Purpose, ...]:
    purposes = []
    for t in tables:
        purposes.append(Purpose(t.text("id"), t.flag("required"), t.text("vi"), t.text("en")))
        t.done()
    ids = [p.id for p in purposes]
    if not purposes or len(set(ids)) != len(ids):
        raise ProfileError("purposes: at least one, with unique ids")
    return tuple(purposes)


def _forward(t: _Table, kind: str) -> frozenset[str]:
    fields = t.strings("fields")
    t.done()
    unknown = set(fields) - FORWARDABLE_FIELDS
    if unknown:
        raise ProfileError(f"{t.where}.fields: unknown field(s) {sorted(unknown)}")
    needed = {"hospital": {"id_number"}, "lodging": {"id_number", "full_name"}}.get(kind, set())
    if not needed <= set(fields):
        raise ProfileError(f"{t.where}.fields: a {kind} profile must forward {sorted(needed)}")
    return frozenset(fields)


def _departments(value: Any, where: str, kind: str) -> tuple[Department, ...]:
    """``[[service.departments]]``: a hospital's 1–8 departments with unique codes and both names."""
    if value is None:
        if kind == "hospital":
            raise ProfileError(f"{where}: a hospital profile lists its departments")
        return ()
    if kind != "hospital":
        raise ProfileError(f"{where}: only a hospital profile has departments")
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_DEPARTMENTS:
        raise ProfileError(f"{where}: 1 to {MAX_DEPARTMENTS} departments")
    out = []
    for i, item in enumerate(value):
        t = _Table(item, f"{where}[{i}]")
        code = t.text("code")
        if not _DEPARTMENT_CODE.match(code):
            raise ProfileError(f"{t.where}.code: 2 to 4 capital letters (the queue number's prefix)")
        out.append(Department(code, t.text("vi"), t.text("en")))
        t.done()
    if len({d.code for d in out}) != len(out):
        raise ProfileError(f"{where}: department codes must be unique")
    return tuple(out)


def parse_profile(data: Mapping[str, Any], source: str) -> Profile:
    """Validate a decoded profile; ``source`` names it in errors."""
    top = _Table(dict(data), source)
    head = top.table("profile")
    ctrl, consent = top.table("controller"), top.table("consent")
    chip_t, face_t = top.table("chip"), top.table("face")
    bio_t, ret_t, ass_t = top.table("biometric_evidence"), top.table("retention"), top.table("assurance")
    kind = head.text("kind")
    if kind not in PROFILE_KINDS:
        raise ProfileError(f"{head.where}.kind: must be one of {list(PROFILE_KINDS)}")
    name, description = head.text("name"), head.text("description")
    head.done()
    forwarded = _forward(top.table("forward"), kind)
    purposes = _purposes(top.tables("purposes"))
    connectors = tuple(_connector(c, kind) for c in top.tables("connectors"))
    if not connectors or len({c.name for c in connectors}) != len(connectors):
        raise ProfileError(f"{source}.connectors: at least one, with unique names")
    try:
        evidence = EvidencePolicy(bio_t.text("policy"))
    except ValueError:
        raise ProfileError(f"{bio_t.where}.policy: never_store or deliver_then_delete") from None
    bio_t.done()
    if evidence is EvidencePolicy.DELIVER_THEN_DELETE and kind != "bank":
        raise ProfileError(f"{bio_t.where}.policy: only a bank profile may deliver biometric evidence")
    service_t = top.opt_table("service")
    service = service_t.rest() if service_t else {}
    departments = _departments(service.pop("departments", None), f"{source}.service.departments", kind)
    bad = set(service) - SERVICE_KEYS[kind]
    if bad or not all(isinstance(v, str) for v in service.values()):
        raise ProfileError(f"{source}.service: allowed string keys are {sorted(SERVICE_KEYS[kind])}")
    profile = Profile(
        name=name, kind=kind, description=description,
        controller_name=ctrl.text("name"), controller_contact=ctrl.text("contact"),
        controller_name_en=ctrl.text("name_en", ""),
        purposes=purposes, consent_text_vi=consent.text("vi"), consent_text_en=consent.text("en"),
        forwarded_fields=forwarded, connectors=connectors,
        chip=ChipPolicy(chip_t.flag("accept_csca_unknown"), chip_t.flag("require_anticlone_proof"),
                        chip_t.flag("require_online_check"), chip_t.flag("accept_downgraded_access", True)),
        face=FacePolicy(face_t.flag("required"), face_t.flag("liveness_required"),
                        face_t.count("max_attempts", 1, 5)),
        biometric_evidence=evidence,
        retention=Retention(ret_t.count("results_days", 1, 3650), ret_t.count("consent_days", 1, 3650),
                            ret_t.count("audit_days", 1, 3650), ret_t.count("outbox_sent_days", 1, 365)),
        trust_framework=ass_t.text("trust_framework"), assurance_level=ass_t.text("level"),
        service=dict(service), departments=departments,
    )  # fmt: skip
    for t in (ctrl, consent, chip_t, face_t, ret_t, ass_t, top):
        t.done()
    if kind == "bank" and not (profile.face.required and profile.face.liveness_required):
        raise ProfileError(f"{face_t.where}: a bank profile requires face match and liveness (SBV 2345)")
    return profile


def load_profile(name_or_path: str | Path, directory: Path = PROFILE_DIR) -> Profile:
    """Load and validate ``<directory>/<name>.toml`` (or an explicit ``.toml`` path)."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = directory / f"{name_or_path}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileError(f"{path.name}: no such profile") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path.name}: not valid TOML ({exc})") from None
    profile = parse_profile(data, path.name)
    if profile.name != path.stem:
        raise ProfileError(f"{path.name}: profile.name {profile.name!r} must match the file name")
    return profile


def load_profiles(directory: Path = PROFILE_DIR) -> dict[str, Profile]:
    """Every profile in ``directory``, validated."""
    return {p.stem: load_profile(p) for p in sorted(directory.glob("*.toml"))}
