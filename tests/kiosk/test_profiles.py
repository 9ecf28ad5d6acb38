"""Deployment profiles: the shipped files load; every kind of mistake is a clear ProfileError."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from kiosk.flow.model import FlowConfig
from kiosk.profiles import (
    PROFILE_DIR,
    EvidencePolicy,
    ProfileError,
    load_profile,
    load_profiles,
    parse_profile,
)


def _data(name: str = "hospital") -> dict[str, Any]:
    return tomllib.loads((PROFILE_DIR / f"{name}.toml").read_text())


def test_shipped_profiles_load() -> None:
    profiles = load_profiles()
    assert set(profiles) == {"hospital", "bank", "lodging", "public_service"}
    assert profiles["bank"].biometric_evidence is EvidencePolicy.DELIVER_THEN_DELETE
    assert all(p.biometric_evidence is EvidencePolicy.NEVER_STORE for n, p in profiles.items() if n != "bank")
    assert "address" not in profiles["lodging"].forwarded_fields
    assert {c.kind for c in profiles["hospital"].connectors} == {"fhir", "his_webhook"}
    for p in profiles.values():
        assert p.consent_text_vi and p.consent_text_en and p.purposes
        assert p.consent_document("vi") != p.consent_document("en")


def test_chip_policy() -> None:
    hospital, bank, lodging = (load_profile(n).chip for n in ("hospital", "bank", "lodging"))
    assert hospital.accepts("authentic", (), None)
    assert hospital.accepts("inconclusive", ("CSCA_UNKNOWN",), None)  # signature valid + chip proof
    assert not hospital.accepts("inconclusive", ("CSCA_UNKNOWN", "NO_ANTICLONE_PROOF"), None)
    assert not bank.accepts("inconclusive", ("CSCA_UNKNOWN",), None)
    assert lodging.accepts("inconclusive", ("CSCA_UNKNOWN", "NO_ANTICLONE_PROOF"), None)
    assert not lodging.accepts("inconclusive", ("PA_NOT_PERFORMED",), None)
    for policy in (hospital, bank, lodging):
        assert not policy.accepts("not_authentic", (), None)


def _mutate(path: tuple[Any, ...], value: Any, name: str = "hospital") -> dict[str, Any]:
    data = _data(name)
    node: Any = data
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("name", "path", "value", "message"),
    [
        ("hospital", ("chip", "surprise"), True, "unknown key"),
        ("hospital", ("chip", "accept_csca_unknown"), "yes", "wrong type"),
        ("hospital", ("face", "max_attempts"), 9, "between 1 and 5"),
        ("hospital", ("consent", "en"), KeyError, "consent.en: missing"),
        ("hospital", ("forward", "fields"), ["id_number", "fingerprints"], "unknown field"),
        ("hospital", ("forward", "fields"), ["full_name"], "must forward"),
        ("lodging", ("biometric_evidence", "policy"), "deliver_then_delete", "only a bank profile"),
        ("hospital", ("biometric_evidence", "policy"), "keep_forever", "never_store or deliver_then_delete"),
        ("hospital", ("connectors", 0, "url"), "http://his.example.vn/fhir", "only to loopback"),
        ("hospital", ("connectors", 0, "url"), "ftp://127.0.0.1/x", "http(s) URL"),
        ("hospital", ("connectors", 0, "webhook_secret"), "whsec_abc", "not a secret"),
        ("hospital", ("connectors", 0, "timeout_seconds"), 0, "> 0"),
        ("hospital", ("connectors", 0, "kind"), "bank_webhook", "not a hospital connector"),
        ("hospital", ("connectors", 0, "tls"), {"client_cert": "/x.crt"}, "go together"),
        ("hospital", ("connectors", 0, "tls"), {"ca_bundle": "/ca.pem"}, "needs an https URL"),
        ("hospital", ("profile", "kind"), "casino", "must be one of"),
        ("bank", ("face", "liveness_required"), False, "requires face match and liveness"),
        ("hospital", ("service", "colour"), "blue", "service"),
        ("hospital", ("retention", "results_days"), 0, "between 1 and 3650"),
    ],
)
def test_profile_errors(name: str, path: tuple[Any, ...], value: Any, message: str) -> None:
    with pytest.raises(ProfileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_profile(_mutate(path, value, name), f"{name}.toml")


def test_duplicate_connector_names() -> None:
    data = _data()
    data["connectors"][1]["name"] = data["connectors"][0]["name"]
    with pytest.raises(ProfileError, match="unique names"):
        parse_profile(data, "hospital.toml")


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="no such profile"):
        load_profile("nowhere", tmp_path)
    (tmp_path / "broken.toml").write_text("[profile\n")
    with pytest.raises(ProfileError, match="not valid TOML"):
        load_profile("broken", tmp_path)
    (tmp_path / "clinic.toml").write_text((PROFILE_DIR / "hospital.toml").read_text())
    with pytest.raises(ProfileError, match="must match the file name"):
        load_profile("clinic", tmp_path)


def test_https_with_mutual_tls_is_accepted() -> None:
    tls = {"client_cert": "/etc/cccd/kiosk.crt", "client_key": "/etc/cccd/kiosk.key", "ca_bundle": "/ca.pem"}
    data = _mutate(("connectors", 0, "tls"), tls)
    data["connectors"][0]["url"] = "https://his.example.vn/fhir"
    profile = parse_profile(data, "hospital.toml")
    assert profile.connectors[0].tls is not None and profile.connectors[0].tls.client_key == Path(
        tls["client_key"]
    )


def test_hospital_departments() -> None:
    hospital = load_profile("hospital")
    codes = [d.code for d in hospital.departments]
    assert codes[:2] == ["NOI", "NGO"] and 1 <= len(codes) <= 8 and len(set(codes)) == len(codes)
    assert hospital.departments[0].name("vi") == "Khám Nội" and hospital.departments[0].name("en")
    assert "departments" not in hospital.service  # the service mapping stays text only
    assert all(load_profile(n).departments == () for n in ("bank", "lodging", "public_service"))


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("hospital", lambda s: s.pop("departments"), "lists its departments"),
        ("hospital", lambda s: s.update(departments=[]), "1 to 8 departments"),
        ("hospital", lambda s: s["departments"].extend(s["departments"][:3]), "1 to 8 departments"),
        ("hospital", lambda s: s["departments"][1].update(code="NOI"), "unique"),
        ("hospital", lambda s: s["departments"][0].update(code="noi"), "capital letters"),
        ("hospital", lambda s: s["departments"][0].update(code="NOI-1"), "capital letters"),
        ("hospital", lambda s: s["departments"][0].pop("en"), "en: missing"),
        ("hospital", lambda s: s["departments"][0].update(colour="red"), "unknown key"),
        ("lodging", lambda s: s.update(departments=[{"code": "NOI", "vi": "a", "en": "b"}]),
         "only a hospital"),
    ],
)
def test_department_errors(name: str, change: Any, message: str) -> None:
    data = _data(name)
    change(data["service"])
    with pytest.raises(ProfileError, match=message):
        parse_profile(data, f"{name}.toml")


def test_an_english_screen_names_the_controller_in_english() -> None:
    """Issue 14: the English consent screen showed the controller's Vietnamese placeholder name."""
    for name in ("hospital", "bank", "lodging", "public_service"):
        profile = load_profile(name)
        assert profile.controller("en") != profile.controller("vi")
        assert profile.consent_document("en").splitlines()[0] == profile.controller("en")
        assert profile.consent_document("vi").splitlines()[0] == profile.controller_name
        flow = FlowConfig.from_profile(profile)
        assert flow.controller_in("en") == profile.controller_name_en
        assert flow.controller_in("vi") == profile.controller_name
