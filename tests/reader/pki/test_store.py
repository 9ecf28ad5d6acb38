"""The managed trust store (reader.pki.store): master-list import against a pinned signer CA, lone CSCAs,
CRLs, atomicity, list/status, remove.  Test PKIs from sims.pki (a German-style list signer whose list carries
a Vietnamese CSCA on brainpoolP512r1 with explicit parameters, like ICAO's and the BSI's lists)."""

from __future__ import annotations

import base64
import hashlib
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import pem
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.pki.certs import Certificate
from reader.pki.chain import ChainResult, check_chain
from reader.pki.store import ManagedTrustStore, TrustImportError, TrustStoreStateError, key_type, status
from reader.pki.trust import CSCAStore
from sims.pki import TestPKI

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def de() -> TestPKI:
    """The list signer's country: its CSCA issued the Master List Signer (the pinned signer CA)."""
    return TestPKI.generate(country="DE", csca_key="secp256r1", csca_hash="sha256", with_crl=True,
                            seed=b"store-de")  # fmt: skip


@pytest.fixture(scope="module")
def vn() -> TestPKI:
    return TestPKI.generate(country="VN", csca_key="brainpoolP512r1", csca_hash="sha512",
                            csca_explicit_params=True, with_crl=True, seed=b"store-vn")  # fmt: skip


@pytest.fixture(scope="module")
def old() -> TestPKI:
    """A CSCA that expired (valid 1999-2015)."""
    return TestPKI.generate(country="FR", csca_key="secp256r1", csca_hash="sha256",
                            now=datetime(2000, 1, 1, tzinfo=UTC), seed=b"store-old")  # fmt: skip


@pytest.fixture(scope="module")
def ml(de: TestPKI, vn: TestPKI, old: TestPKI) -> bytes:
    return de.master_list(extra_cscas=(vn.csca_der, old.csca_der))


def _pin(pki: TestPKI) -> list[Certificate]:
    return [Certificate.from_der(pki.csca_der)]


def _snapshot(root: Path) -> dict[str, bytes]:
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_master_list_import_with_pinned_signer(tmp_path: Path, de: TestPKI, vn: TestPKI, ml: bytes) -> None:
    (tmp_path / "icao.ml").write_bytes(ml)
    store = ManagedTrustStore(tmp_path / "trust")
    report = store.import_file(tmp_path / "icao.ml", signer_cas=_pin(de))
    assert report.kind == "master_list"
    assert report.master_list is not None and "Master List Signer Test" in report.master_list["signer"]
    vn_fp = Certificate.from_der(vn.csca_der).fingerprint
    assert set(report.added) == {Certificate.from_der(de.csca_der).fingerprint, vn_fp}
    assert [s["reason"] for s in report.skipped] == ["expired"]
    entries = {e.fingerprint: e for e in store.cscas()}
    assert key_type(entries[vn_fp].cert) == "EC brainpoolP512r1 (explicit parameters)"
    assert entries[vn_fp].sources[0]["file"] == "icao.ml"
    # the folder is a plain trust folder: the reader's loader takes it as it is, with no problems
    loaded = CSCAStore.from_folder(store.root)
    assert len(loaded) == 2 and not loaded.problems
    ds = Certificate.from_der(vn.ds_der)
    assert check_chain(ds, loaded, NOW).result is ChainResult.VALID  # explicit-parameter CSCA verifies
    before = _snapshot(store.root)
    again = store.import_file(tmp_path / "icao.ml", signer_cas=_pin(de))
    assert again.added == [] and len(again.already_present) == 2
    assert _snapshot(store.root) == before  # the same list again: nothing changes, no source recorded twice
    newer = de.master_list(extra_cscas=(vn.csca_der,))  # a later issue of the list (another file)
    store.import_bytes(newer, "icao-2.ml", signer_cas=_pin(de))
    assert [s["file"] for s in {e.fingerprint: e for e in store.cscas()}[vn_fp].sources] == [
        "icao.ml",
        "icao-2.ml",
    ]


@pytest.mark.parametrize(
    "case", ["bad_signer", "no_pin", "unsigned", "tampered", "truncated", "empty", "garbage"]
)
def test_a_refused_file_changes_nothing(tmp_path: Path, de: TestPKI, vn: TestPKI, ml: bytes,
                                        case: str) -> None:  # fmt: skip
    store = ManagedTrustStore(tmp_path / "trust")
    store.import_bytes(vn.csca_pem(), "vn.pem")
    before = _snapshot(store.root)
    other = TestPKI.generate(country="FR", csca_key="secp256r1", csca_hash="sha256", seed=b"store-fr")
    pins = _pin(de)
    data = ml
    if case == "bad_signer":
        data = other.master_list(extra_cscas=(vn.csca_der,))  # signed, but by a signer the pin did not issue
    elif case == "no_pin":
        pins = []
    elif case == "unsigned":
        data = de.master_list(signed=False)
    elif case == "tampered":
        i = ml.index(vn.csca_der[-40:])
        data = ml[:i] + bytes([ml[i] ^ 1]) + ml[i + 1 :]
    elif case == "truncated":
        data = ml[: len(ml) // 2]
    elif case == "empty":
        data = b""
    elif case == "garbage":
        data = b"\x30\x82\x01\x00" + b"\x00" * 20
    with pytest.raises(TrustImportError) as info:
        store.import_bytes(data, "list.ml", signer_cas=pins)
    assert info.value.malformed is (case in ("truncated", "empty", "garbage"))
    assert _snapshot(store.root) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".trust.new")]  # no temp folder left


def test_expired_list_signer_is_refused(tmp_path: Path, vn: TestPKI) -> None:
    past = TestPKI.generate(country="DE", csca_key="secp256r1", csca_hash="sha256",
                            now=NOW - timedelta(days=6 * 365), seed=b"store-de-past")  # fmt: skip
    store = ManagedTrustStore(tmp_path / "trust")
    with pytest.raises(TrustImportError, match="signer's certificate is expired"):
        store.import_bytes(past.master_list(extra_cscas=(vn.csca_der,)), "x.ml", signer_cas=_pin(past))
    assert not store.root.exists()


def test_lone_csca_rules(tmp_path: Path, vn: TestPKI, old: TestPKI) -> None:
    store = ManagedTrustStore(tmp_path / "trust")
    with pytest.raises(TrustImportError, match="expired"):
        store.import_bytes(old.csca_pem(), "fr.pem")
    with pytest.raises(TrustImportError, match="not a CA"):
        store.import_bytes(vn.ds_der, "ds.cer")  # a Document Signer is not a trust anchor
    with pytest.raises(TrustImportError, match="fingerprint"):
        store.import_bytes(vn.csca_der, "vn.cer", fingerprint="00" * 32)
    fp = hashlib.sha256(vn.csca_der).hexdigest()
    colon = ":".join(fp[i : i + 2] for i in range(0, 64, 2)).upper()
    report = store.import_bytes(vn.csca_der, "vn.cer", fingerprint=colon)
    assert report.kind == "certificates" and report.added == [fp]


def test_crls(tmp_path: Path, vn: TestPKI) -> None:
    assert vn.crl is not None
    store = ManagedTrustStore(tmp_path / "trust")
    with pytest.raises(TrustImportError, match="no CSCA in the store"):
        store.import_bytes(vn.crl, "vn.crl")
    store.import_bytes(vn.csca_der, "vn.cer")
    # an older CRL of the same CSCA (same key: the seed), now stale
    stale_pki = TestPKI.generate(country="VN", csca_key="brainpoolP512r1", csca_hash="sha512",
                                 csca_explicit_params=True, with_crl=True, seed=b"store-vn",
                                 now=NOW - timedelta(days=200))  # fmt: skip
    assert stale_pki.crl is not None
    first = store.import_bytes(pem.armor("X509 CRL", stale_pki.crl), "old.crl")
    assert first.kind == "crl" and any("stale" in w for w in first.warnings)
    st = status(store, NOW)
    assert len(st["stale_crls"]) == 1 and st["ok"] is False
    newer = store.import_bytes(vn.crl, "vn.crl")
    assert newer.replaced_crls == first.added
    assert len(store.crls()) == 1 and not status(store, NOW)["stale_crls"]
    with pytest.raises(TrustImportError, match="newer CRL"):
        store.import_bytes(stale_pki.crl, "old.crl")
    loaded = CSCAStore.from_folder(store.root)
    assert len(loaded.crls_for(Certificate.from_der(vn.csca_der))) == 1


def test_list_status_and_remove(tmp_path: Path, de: TestPKI, vn: TestPKI, ml: bytes) -> None:
    store = ManagedTrustStore(tmp_path / "trust")
    store.import_bytes(ml, "icao.ml", signer_cas=_pin(de))
    assert de.crl is not None
    store.import_bytes(de.crl, "de.crl")
    rows = {e.to_dict(NOW)["country"]: e.to_dict(NOW) for e in store.cscas()}
    assert set(rows) == {"DE", "VN"}
    assert rows["VN"]["validity"] == "valid" and rows["VN"]["self_signed"] is True
    assert rows["DE"]["key_type"] == "EC secp256r1"
    st = status(store, NOW, expiring_days=180)
    assert st["ok"] is True and st["vietnam"] == {"cscas": 1, "valid": 1, "crls": 0}
    assert st["countries"]["DE"]["crls"] == 1
    # 15 years on, both CSCAs have expired; 14.9 years on they are expiring
    assert len(status(store, NOW + timedelta(days=15 * 365 + 2))["expired"]) == 2
    assert len(status(store, NOW + timedelta(days=14 * 365 + 300), expiring_days=180)["expiring"]) == 2
    removed = store.remove([], country="de")
    de_fp = Certificate.from_der(de.csca_der).fingerprint
    assert de_fp in removed and len(removed) == 2  # the CSCA and the CRL only it verified
    assert [e.to_dict(NOW)["country"] for e in store.cscas()] == ["VN"] and store.crls() == []
    with pytest.raises(TrustImportError, match="matches 0"):
        store.remove(["deadbeefdeadbeef"])
    vn_fp = Certificate.from_der(vn.csca_der).fingerprint
    assert store.remove([vn_fp[:12]]) == [vn_fp]
    assert store.cscas() == []
    assert len(store.imports()) == 4


def test_a_foreign_folder_is_not_taken_over(tmp_path: Path, vn: TestPKI) -> None:
    (tmp_path / "csca.pem").write_bytes(vn.csca_pem())
    with pytest.raises(TrustStoreStateError):
        ManagedTrustStore(tmp_path).import_bytes(vn.csca_der, "vn.cer")


def test_icao_ldif_download(tmp_path: Path, de: TestPKI, vn: TestPKI) -> None:
    """The ICAO PKD "CSCA MasterList" LDIF: one entry per list; only lists under a pinned signer CA count."""
    other = TestPKI.generate(country="FR", csca_key="secp256r1", csca_hash="sha256", seed=b"store-fr")

    def entry(n: int, ml: bytes) -> str:
        b64 = base64.b64encode(ml).decode()
        folded = "\n ".join(b64[i : i + 76] for i in range(0, len(b64), 76))
        return (f"dn: cn=list{n},o=ml,c=XX,dc=data,dc=download,dc=pkd,dc=icao,dc=int\n"
                f"objectClass: CscaMasterList\nCscaMasterListData:: {folded}\n\n")  # fmt: skip

    ldif = (
        "version: 1\n\n"
        + entry(1, other.master_list())
        + entry(2, de.master_list(extra_cscas=(vn.csca_der,)))
    )
    store = ManagedTrustStore(tmp_path / "trust")
    report = store.import_bytes(ldif.encode(), "icaopkd-002-complete-000284.ldif", signer_cas=_pin(de))
    assert report.kind == "ldif" and len(report.added) == 2
    assert any("not issued by a pinned signer CA" in w for w in report.warnings)
    with pytest.raises(TrustImportError, match="none of its 1 master lists"):
        store.import_bytes(("version: 1\n\n" + entry(1, other.master_list())).encode(), "x.ldif",
                           signer_cas=_pin(de))  # fmt: skip
    with pytest.raises(TrustImportError) as info:
        store.import_bytes(
            b"version: 1\n\ndn: cn=x\nCscaMasterListData:: !!!\n", "bad.ldif", signer_cas=_pin(de)
        )
    assert info.value.malformed


@given(data=st.data())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_damaged_master_lists_give_a_typed_refusal_and_change_nothing(
    tmp_path: Path, de: TestPKI, ml: bytes, data: st.DataObject
) -> None:
    """Hostile input: any truncation or bit flip of a good list is refused with TrustImportError (never
    another exception, never a partial import)."""
    # a folder of its own per example (hypothesis reuses tmp_path; a drawn name could repeat an earlier
    # example's, whose successful import made it)
    root = Path(tempfile.mkdtemp(dir=tmp_path)) / "store"
    store = ManagedTrustStore(root)
    if data.draw(st.booleans()):
        damaged = ml[: data.draw(st.integers(0, len(ml) - 1))]
    else:
        i = data.draw(st.integers(0, len(ml) - 1))
        damaged = ml[:i] + bytes([ml[i] ^ (1 << data.draw(st.integers(0, 7)))]) + ml[i + 1 :]
    try:
        store.import_bytes(damaged, "x.ml", signer_cas=_pin(de))
    except TrustImportError:
        assert not root.exists()
        return
    # a flip that left the signed content, the signature and the pinned chain intact (e.g. in an unsigned
    # length-neutral spot) imports exactly the genuine CSCAs
    assert {e.fingerprint for e in store.cscas()} <= {
        Certificate.from_der(der).fingerprint for der in (de.csca_der, *_ml_cscas(ml))
    }


def _ml_cscas(ml: bytes) -> tuple[bytes, ...]:
    from reader.pki.masterlist import parse_master_list

    return tuple(c.der for c in parse_master_list(ml).certificates)
