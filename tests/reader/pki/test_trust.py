"""CSCA trust store: folders, master lists, CRLs, issuer lookup, chain checks."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import pem

from reader.pki.certs import Certificate, Validity
from reader.pki.chain import ChainResult, CRLResult, check_chain
from reader.pki.crl import CRL
from reader.pki.errors import (
    CMSParseError,
    CRLParseError,
    MasterListError,
    MasterListSignatureError,
    TrustStoreError,
)
from reader.pki.masterlist import MasterListSignature, parse_master_list
from reader.pki.trust import CSCAStore
from sims.pki import TestPKI, build_sod

AT = datetime.now(UTC)


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return TestPKI.generate(revoke_ds=True, seed=b"trust-a")


@pytest.fixture(scope="module")
def other() -> TestPKI:
    return TestPKI.generate(csca_key="brainpoolP256r1", csca_hash="sha256", seed=b"trust-b")


def test_folder_with_every_format(pki: TestPKI, other: TestPKI, tmp_path: Path) -> None:
    third = TestPKI.generate(seed=b"trust-c")
    (tmp_path / "a.pem").write_bytes(pki.csca_pem())
    (tmp_path / "b.CER").write_bytes(other.csca_der)
    sub = tmp_path / "nested"
    sub.mkdir()
    (sub / "bundle.crt").write_bytes(third.csca_pem() + other.csca_pem())  # duplicate of b.CER
    assert pki.crl is not None
    (tmp_path / "a.crl").write_bytes(pem.armor("X509 CRL", pki.crl))
    (tmp_path / "list.ml").write_bytes(TestPKI.generate(seed=b"trust-d").master_list())
    (tmp_path / "README.txt").write_text("not a certificate")
    (tmp_path / "broken.der").write_bytes(b"\x30\x03\x02\x01\x00")
    (tmp_path / "broken.ml").write_bytes(b"\x30\x00")
    store = CSCAStore.from_folder(tmp_path)
    assert len(store) == 4
    assert len(store.crls) == 1 and len(store.master_lists) == 1
    assert sorted(p.source for p in store.problems) == ["broken.der", "broken.ml"]
    assert Certificate.from_der(other.csca_der) in store
    assert "certificates=4" in repr(store)


def test_missing_folder() -> None:
    with pytest.raises(TrustStoreError):
        CSCAStore.from_folder("/nonexistent/trust-store")


def test_add_accepts_bytes_and_deduplicates(pki: TestPKI) -> None:
    store = CSCAStore()
    first = store.add(pki.csca_der)
    assert store.add(pki.csca_pem()) == first
    assert len(store) == 1 and store.certificates == (first,)


def test_master_list_signature_and_contents(pki: TestPKI, other: TestPKI) -> None:
    ml = parse_master_list(pki.master_list(extra_cscas=(other.csca_der,)))
    assert ml.version == 0
    assert {c.der for c in ml.certificates} == {pki.csca_der, other.csca_der}  # a SET OF: DER order
    assert ml.signature is MasterListSignature.VALID
    assert ml.signer is not None and ml.signer.subject.startswith("CN=Master List Signer Test")
    assert ml.signer_issuer is not None and ml.signer_issuer.der == pki.csca_der
    assert ml.skipped == 0
    assert ml.to_dict()["signature"] == "valid"


def test_master_list_without_signer(pki: TestPKI) -> None:
    ml = parse_master_list(pki.master_list(signed=False))
    assert ml.signature is MasterListSignature.NO_SIGNER and ml.signer is None
    assert len(CSCAStore.from_master_list(pki.master_list(signed=False))) == 1


def test_master_list_signed_by_a_signer_from_elsewhere(pki: TestPKI, other: TestPKI) -> None:
    ml_der = dataclasses.replace(pki, ml_signer=other.ml_signer).master_list()
    ml = parse_master_list(ml_der)
    assert ml.signature is MasterListSignature.VALID
    assert ml.signer_issuer is None  # reported: the signer was not issued by a listed CSCA


def test_tampered_master_list_is_refused(pki: TestPKI) -> None:
    ml_der = pki.master_list()
    # Overwrite the end of the listed CSCA (its signature): the list no longer matches its signature.
    tampered = ml_der.replace(pki.csca_der[-40:], bytes(40))
    with pytest.raises(MasterListSignatureError):
        parse_master_list(tampered)
    with pytest.raises(MasterListSignatureError):
        CSCAStore.from_master_list(tampered)


@pytest.mark.parametrize("data", [b"", b"\x30\x00", b"garbage"])
def test_master_list_garbage(data: bytes) -> None:
    with pytest.raises(CMSParseError):
        parse_master_list(data)


def test_sod_is_not_a_master_list(pki: TestPKI) -> None:
    sod = build_sod({1: b"a", 2: b"b"}, pki)
    with pytest.raises(MasterListError, match="not a CSCA master list"):
        parse_master_list(sod[4:] if sod[1] == 0x82 else sod[2:])


def test_crl_decoding(pki: TestPKI) -> None:
    assert pki.crl is not None
    for data in (pki.crl, pem.armor("X509 CRL", pki.crl)):
        crl = CRL.from_bytes(data)
        assert crl.issuer == "CN=CSCA Test,O=CCCD Kiosk Test PKI,C=VN"
        assert crl.revokes(Certificate.from_der(pki.ds_der))
        assert crl.is_signed_by(Certificate.from_der(pki.csca_der))
        assert not crl.is_stale(AT)
        assert crl.next_update is not None and crl.is_stale(
            crl.next_update.replace(year=crl.next_update.year + 1)
        )
    for bad in (b"", b"\x30\x00", pem.armor("CERTIFICATE", pki.csca_der)):
        with pytest.raises(CRLParseError):
            CRL.from_bytes(bad)


def test_crl_verified_by_needs_issuer_name_and_signature(pki: TestPKI, other: TestPKI) -> None:
    assert pki.crl is not None
    crl = CRL.from_bytes(pki.crl)
    assert crl.verified_by(Certificate.from_der(pki.csca_der))
    assert not crl.verified_by(Certificate.from_der(other.csca_der))  # same name, another key
    assert not crl.verified_by(Certificate.from_der(pki.ds_der))  # another name


def test_issuers_prefer_matching_key_identifier(pki: TestPKI, other: TestPKI) -> None:
    ds = Certificate.from_der(pki.ds_der)
    store = CSCAStore([other.csca_der, pki.csca_der])  # same subject names
    issuers = store.issuers_of(ds)
    assert [c.der for c in issuers] == [pki.csca_der, other.csca_der]
    assert store.issuers_of(Certificate.from_der(other.csca_der))[0].der == other.csca_der


def test_crls_count_only_when_signed_by_the_csca(pki: TestPKI, other: TestPKI) -> None:
    assert pki.crl is not None
    store = CSCAStore([pki.csca_der, other.csca_der], [pki.crl])
    assert store.crls_for(Certificate.from_der(pki.csca_der)) == store.crls
    assert store.crls_for(Certificate.from_der(other.csca_der)) == ()


def test_chain_states(pki: TestPKI, other: TestPKI) -> None:
    ds = Certificate.from_der(pki.ds_der)
    assert pki.crl is not None
    valid = check_chain(ds, CSCAStore([pki.csca_der], [pki.crl]), AT)
    assert (valid.result, valid.crl, valid.reasons) == (ChainResult.VALID, CRLResult.REVOKED, ("DS_REVOKED",))
    assert valid.anchor is not None and valid.csca_validity is Validity.VALID
    unknown = check_chain(ds, CSCAStore([other.csca_der]), AT)
    assert (unknown.result, unknown.reasons) == (ChainResult.UNKNOWN_CSCA, ("CSCA_UNKNOWN",))


def test_csca_that_is_not_a_ca_is_refused(pki: TestPKI) -> None:
    ds = Certificate.from_der(pki.ds_der)
    csca = Certificate.from_der(pki.csca_der)
    for changed, reason in (
        (dataclasses.replace(csca, is_ca=False), "CSCA_NOT_A_CA"),
        (dataclasses.replace(csca, key_usage=frozenset({"digital_signature"})), "CSCA_KEY_USAGE_INVALID"),
    ):
        check = check_chain(ds, CSCAStore([changed]), AT)
        assert check.result is ChainResult.INVALID and reason in check.reasons


def test_csca_validity_is_checked(pki: TestPKI) -> None:
    ds = Certificate.from_der(pki.ds_der)
    csca = Certificate.from_der(pki.csca_der)
    late = check_chain(ds, CSCAStore([pki.csca_der]), csca.not_after.replace(year=csca.not_after.year + 1))
    assert late.csca_validity is Validity.EXPIRED and "CSCA_EXPIRED" in late.reasons
    early = check_chain(ds, CSCAStore([pki.csca_der]), csca.not_before.replace(year=csca.not_before.year - 1))
    assert early.csca_validity is Validity.NOT_YET_VALID and "CSCA_NOT_YET_VALID" in early.reasons
