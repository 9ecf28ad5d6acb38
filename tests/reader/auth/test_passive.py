"""Passive authentication end to end over generated PKIs (ICAO 9303-11 §5.1)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.auth.passive import CheckResult, DGHashResult, PAResult, PassiveAuthResult, passive_authenticate
from reader.lds.sod import SOD
from reader.pki.certs import Validity
from reader.pki.chain import ChainResult, CRLResult
from reader.pki.trust import CSCAStore
from reader.report import Verdict, compute_verdict
from reader.tlv import encode
from sims.pki import TestPKI, build_sod

AT = datetime.now(UTC)

# Stand-ins for data groups as read (tag + content); their values only matter through their hashes.
DGS: dict[int, bytes] = {
    1: b"\x61\x5b" + b"\x5f\x1f\x58" + b"I" * 88,
    2: b"\x75\x82\x3a\x98" + bytes(range(256)) * 58,
    13: b"\x6d\x81\x90" + "Nguyễn Thị Mai Anh".encode() * 6,
    14: b"\x6e\x82\x01\x7a" + b"\x31" * 378,
    15: b"\x6f\x81\x80" + b"\x30" * 128,
}


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return TestPKI.generate(seed=b"pa-default")


@pytest.fixture(scope="module")
def store(pki: TestPKI) -> CSCAStore:
    return CSCAStore([pki.csca_der])


def run(sod: bytes, store: CSCAStore, dgs: dict[int, bytes] | None = None) -> PassiveAuthResult:
    return passive_authenticate(sod, DGS if dgs is None else dgs, store, at=AT)


def test_valid_card_passes(pki: TestPKI, store: CSCAStore) -> None:
    sod = build_sod(DGS, pki)
    r = run(sod, store)
    assert r.result is PAResult.PASSED and r.passed
    assert r.reasons == ()
    assert (r.sod_parse, r.sod_signature) == (CheckResult.VALID, CheckResult.VALID)
    assert (r.ds_validity, r.csca_validity) == (Validity.VALID, Validity.VALID)
    assert r.csca_chain is ChainResult.VALID
    assert r.crl is CRLResult.NO_CRL and "NO_CRL" in r.notes
    assert [c.result for c in r.dg_hashes] == [DGHashResult.MATCH] * len(DGS)
    assert r.not_read == ()
    assert r.sod_sha256 == hashlib.sha256(sod).hexdigest()
    assert r.ds_certificate is not None and r.ds_certificate.subject.startswith("CN=Document Signer Test")
    assert r.trust_anchor is not None and r.trust_anchor.der == pki.csca_der
    assert r.dg14_covered and r.dg15_covered


def test_report_verdict_integration(pki: TestPKI, store: CSCAStore) -> None:
    r = run(build_sod(DGS, pki), store)
    assert compute_verdict(r, [], data_groups={1, 2}) == (Verdict.INCONCLUSIVE, ["NO_ANTICLONE_PROOF"])


def test_tampered_data_group_fails(pki: TestPKI, store: CSCAStore) -> None:
    sod = build_sod(DGS, pki)
    tampered = dict(DGS)
    tampered[2] = DGS[2][:-1] + bytes([DGS[2][-1] ^ 1])
    r = run(sod, store, tampered)
    assert r.result is PAResult.FAILED
    assert r.reasons == ("DG2_HASH_MISMATCH",)
    check = r.dg_hash(2)
    assert check is not None and check.result is DGHashResult.MISMATCH
    assert r.sod_signature is CheckResult.VALID  # the SOD itself is genuine
    assert not r.covers(2) and r.covers(1)
    assert compute_verdict(r, [], data_groups={1, 2})[0] is Verdict.NOT_AUTHENTIC


def test_data_group_not_in_sod_fails_and_unread_ones_are_listed(pki: TestPKI, store: CSCAStore) -> None:
    sod = build_sod({n: DGS[n] for n in (1, 2, 14, 15)}, pki)
    r = run(sod, store, {1: DGS[1], 13: DGS[13], 14: DGS[14]})
    assert r.result is PAResult.FAILED
    assert r.reasons == ("DG13_NOT_IN_SOD",)
    assert r.not_read == (2, 15)
    assert r.dg14_covered and not r.dg15_covered


def test_bad_sod_signature_fails(pki: TestPKI, store: CSCAStore) -> None:
    sod = build_sod(DGS, pki)
    signature = SOD.from_bytes(sod).signer_info.signature
    flipped = signature[:-1] + bytes([signature[-1] ^ 0x01])
    r = run(sod.replace(signature, flipped), store)
    assert r.result is PAResult.FAILED
    assert r.reasons == ("SOD_SIGNATURE_INVALID",)
    assert r.sod_signature is CheckResult.INVALID
    assert not r.dg14_covered  # a key in DG14 is not covered by an SOD whose signature fails


def test_sod_signed_by_another_key_fails(pki: TestPKI, store: CSCAStore) -> None:
    forger = TestPKI.generate(seed=b"pa-forger")
    forged = dataclasses.replace(pki, ds=dataclasses.replace(pki.ds, key=forger.ds.key))
    r = run(build_sod(DGS, forged), store)
    assert r.result is PAResult.FAILED and "SOD_SIGNATURE_INVALID" in r.reasons


def test_changed_lds_security_object_fails_on_message_digest(pki: TestPKI, store: CSCAStore) -> None:
    sod = build_sod(DGS, pki)
    other = DGS[1].replace(b"I", b"J")
    forged = sod.replace(hashlib.sha256(DGS[1]).digest(), hashlib.sha256(other).digest())
    r = run(forged, store, {**DGS, 1: other})
    assert r.result is PAResult.FAILED
    assert r.reasons == ("SOD_MESSAGE_DIGEST_MISMATCH",)
    assert r.dg_hash(1) is not None and r.dg_hash(1).result is DGHashResult.MATCH  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("validity", "reason", "state"),
    [
        ("expired", "DS_EXPIRED", Validity.EXPIRED),
        ("not_yet_valid", "DS_NOT_YET_VALID", Validity.NOT_YET_VALID),
    ],
)
def test_ds_outside_validity_fails(validity: str, reason: str, state: Validity) -> None:
    pki = TestPKI.generate(ds_validity=validity, seed=b"pa-" + validity.encode())  # type: ignore[arg-type]
    r = run(build_sod(DGS, pki), CSCAStore([pki.csca_der]))
    assert r.result is PAResult.FAILED
    assert r.reasons == (reason,)
    assert r.ds_validity is state
    assert r.csca_chain is ChainResult.VALID


def test_expired_csca_fails() -> None:
    pki = TestPKI.generate(now=datetime(2001, 1, 1, tzinfo=UTC), seed=b"pa-old")
    r = run(build_sod(DGS, pki), CSCAStore([pki.csca_der]))
    assert r.result is PAResult.FAILED
    assert set(r.reasons) == {"DS_EXPIRED", "CSCA_EXPIRED"}
    assert r.csca_validity is Validity.EXPIRED


def test_unknown_csca_is_its_own_state(pki: TestPKI) -> None:
    other = TestPKI.generate(seed=b"pa-other-country")  # same names, different keys
    sod = build_sod(DGS, pki)
    for store in (CSCAStore(), CSCAStore([other.csca_der])):
        r = run(sod, store)
        assert r.result is PAResult.CSCA_UNKNOWN
        assert r.reasons == ("CSCA_UNKNOWN",)
        assert r.csca_chain is ChainResult.UNKNOWN_CSCA
        assert r.sod_signature is CheckResult.VALID and r.ds_validity is Validity.VALID
        assert r.trust_anchor is None and r.crl is CRLResult.NOT_CHECKED
        assert r.dg14_covered
    verdict = compute_verdict(r, [], data_groups={1, 2})
    assert verdict == (Verdict.INCONCLUSIVE, ["CSCA_UNKNOWN", "NO_ANTICLONE_PROOF"])


def test_unknown_csca_does_not_hide_other_failures(pki: TestPKI) -> None:
    tampered = {**DGS, 1: DGS[1] + b"\x00"}
    r = run(build_sod(DGS, pki), CSCAStore(), tampered)
    assert r.result is PAResult.FAILED
    assert r.reasons == ("DG1_HASH_MISMATCH", "CSCA_UNKNOWN")


def test_ds_certificate_with_broken_signature_fails(pki: TestPKI, store: CSCAStore) -> None:
    cert = pki.ds.cert
    broken = cert[:-1] + bytes([cert[-1] ^ 0x01])
    r = run(build_sod(DGS, dataclasses.replace(pki, ds=dataclasses.replace(pki.ds, cert=broken))), store)
    assert r.result is PAResult.FAILED
    assert r.reasons == ("DS_CERTIFICATE_SIGNATURE_INVALID",)
    assert r.csca_chain is ChainResult.INVALID


def test_revoked_ds_fails() -> None:
    pki = TestPKI.generate(revoke_ds=True, seed=b"pa-revoked")
    assert pki.crl is not None
    r = run(build_sod(DGS, pki), CSCAStore([pki.csca_der], [pki.crl]))
    assert r.result is PAResult.FAILED
    assert r.reasons == ("DS_REVOKED",)
    assert r.crl is CRLResult.REVOKED


def test_crl_without_the_ds(pki: TestPKI) -> None:
    own = TestPKI.generate(with_crl=True, seed=b"pa-crl")
    assert own.crl is not None
    r = run(build_sod(DGS, own), CSCAStore([own.csca_der], [own.crl]))
    assert (r.result, r.reasons, r.crl) == (PAResult.PASSED, (), CRLResult.NOT_REVOKED)


def test_crl_signed_by_another_key_is_ignored(pki: TestPKI) -> None:
    """A CRL naming our CSCA and revoking our DS, but signed by another key, proves nothing."""
    csca = x509.load_der_x509_certificate(pki.csca_der)
    ds = x509.load_der_x509_certificate(pki.ds_der)
    entry = x509.RevokedCertificateBuilder().serial_number(ds.serial_number).revocation_date(AT).build()
    forged = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(csca.subject)
        .last_update(AT - timedelta(days=1))
        .next_update(AT + timedelta(days=30))
        .add_revoked_certificate(entry)
        .sign(ec.generate_private_key(ec.BrainpoolP384R1()), hashes.SHA384())
    )
    store = CSCAStore([pki.csca_der], [forged.public_bytes(serialization.Encoding.DER)])
    r = run(build_sod(DGS, pki), store)
    assert (r.result, r.crl) == (PAResult.PASSED, CRLResult.NO_CRL)


def test_vietnamese_style_explicit_brainpool_p512_csca() -> None:
    """The real VN CSCA: brainpoolP512r1 with explicit domain parameters, ECDSA-SHA512."""
    pki = TestPKI.generate(
        csca_key="brainpoolP512r1", csca_hash="sha512", csca_explicit_params=True, ds_key="brainpoolP384r1",
        seed=b"pa-vn",
    )  # fmt: skip
    r = run(build_sod(DGS, pki, "sha256", signature_hash="sha384"), CSCAStore([pki.csca_der]))
    assert r.result is PAResult.PASSED, r.reasons
    assert r.signature_algorithm is not None and r.signature_algorithm.hash_name == "sha384"


def test_ds_key_with_explicit_parameters() -> None:
    pki = TestPKI.generate(ds_key="brainpoolP256r1", ds_explicit_params=True, seed=b"pa-ds-explicit")
    assert run(build_sod(DGS, pki), CSCAStore([pki.csca_der])).result is PAResult.PASSED


@pytest.mark.parametrize(
    "options",
    [
        {"ds_key": "rsa2048"},
        {"ds_key": "rsa2048", "ds_pss": True},
        {"csca_key": "rsa2048", "csca_pss": True, "csca_hash": "sha256", "ds_key": "secp256r1"},
    ],
    ids=["ds-rsa-pkcs1", "ds-rsa-pss", "csca-rsa-pss"],
)
def test_rsa_document_signers_and_cscas(options: dict[str, object]) -> None:
    pki = TestPKI.generate(seed=b"pa-rsa", **options)  # type: ignore[arg-type]
    r = run(build_sod(DGS, pki), CSCAStore([pki.csca_der]))
    assert r.result is PAResult.PASSED, r.reasons


@pytest.mark.parametrize("hash_alg", ["sha1", "sha224", "sha256", "sha384", "sha512"])
def test_hash_algorithms(pki: TestPKI, store: CSCAStore, hash_alg: str) -> None:
    r = run(build_sod(DGS, pki, hash_alg), store)
    assert r.result is PAResult.PASSED, r.reasons
    assert r.hash_algorithm == hash_alg


def test_trust_from_master_list_and_folder(pki: TestPKI, tmp_path: Path) -> None:
    sod = build_sod(DGS, pki)
    assert run(sod, CSCAStore.from_master_list(pki.master_list())).result is PAResult.PASSED
    pki.export_folder(tmp_path / "pem")
    pki.export_folder(tmp_path / "der", der=True)
    for folder in ("pem", "der"):
        assert run(sod, CSCAStore.from_folder(tmp_path / folder)).result is PAResult.PASSED


def test_signer_identified_by_subject_key_identifier(pki: TestPKI, store: CSCAStore) -> None:
    assert run(build_sod(DGS, pki, use_ski=True), store).result is PAResult.PASSED


def test_sod_without_ds_certificate_fails(pki: TestPKI, store: CSCAStore) -> None:
    sod = SOD.from_bytes(build_sod(DGS, pki))
    info = cms.ContentInfo.load(sod.raw[4:])
    info["content"]["certificates"] = []
    stripped = encode(0x77, info.dump(force=True))
    r = run(stripped, store)
    assert r.result is PAResult.FAILED
    assert r.reasons == ("DS_CERTIFICATE_MISSING",)


@pytest.mark.parametrize(
    ("sod", "reason"),
    [
        (b"", "SOD_ABSENT"),
        (b"\x77\x03\x30\x01\x00", "SOD_PARSE_ERROR"),
        (b"garbage that is not a TLV at all", "SOD_PARSE_ERROR"),
        (b"\x77\x82\xff\xff\x30", "SOD_PARSE_ERROR"),
    ],
)
def test_garbage_sod_fails_without_raising(store: CSCAStore, sod: bytes, reason: str) -> None:
    r = run(sod, store)
    assert r.result is PAResult.FAILED
    assert r.reasons == (reason,)
    assert r.sod_parse is CheckResult.INVALID
    json.dumps(r.to_dict())


def test_truncated_sod_fails(pki: TestPKI, store: CSCAStore) -> None:
    sod = build_sod(DGS, pki)
    for cut in range(0, len(sod), 97):
        assert run(sod[:cut], store).result is PAResult.FAILED


def test_naive_time_is_refused(pki: TestPKI, store: CSCAStore) -> None:
    with pytest.raises(ValueError, match="timezone"):
        passive_authenticate(build_sod(DGS, pki), DGS, store, at=datetime(2030, 1, 1))


def test_repr_hides_hashes_and_contents(pki: TestPKI, store: CSCAStore) -> None:
    sod = build_sod(DGS, pki)
    tampered = {**DGS, 1: DGS[1] + b"x"}
    for r in (run(sod, store), run(sod, store, tampered)):
        text = repr(r) + str(r) + "".join(repr(c) for c in r.dg_hashes)
        for n, content in tampered.items():
            for h in (hashlib.sha256(content).digest(), hashlib.sha256(DGS[n]).digest()):
                assert h.hex() not in text.lower() and h.hex().upper() not in text and repr(h) not in text
            assert repr(content)[2:30] not in text
        assert "result=" in text


def test_to_dict_is_json_with_hashes_and_signer(pki: TestPKI, store: CSCAStore) -> None:
    sod = build_sod({n: DGS[n] for n in (1, 2, 14)}, pki, lds_version=("0108", "040000"))
    r = run(sod, store, {1: DGS[1], 14: DGS[14]})
    d = json.loads(json.dumps(r.to_dict()))
    assert d["result"] == "passed"
    assert d["checks"] == {
        "sod_parse": "valid", "sod_signature": "valid", "ds_validity": "valid", "csca_chain": "valid",
        "csca_validity": "valid", "crl": "no_crl",
    }  # fmt: skip
    assert d["data_groups"]["DG1"]["sod_hash"] == hashlib.sha256(DGS[1]).hexdigest()
    assert d["not_read"] == ["DG2"]
    assert d["lds_version"] == "0108"
    assert d["document_signer"]["not_after"] > AT.isoformat()
    assert d["trust_anchor"]["subject"] == "CN=CSCA Test,O=CCCD Kiosk Test PKI,C=VN"
    assert d["sod_sha256"] == hashlib.sha256(sod).hexdigest()


def test_not_performed_helper() -> None:
    r = PassiveAuthResult.not_performed("SOD_NOT_READ", AT)
    assert r.result is PAResult.NOT_PERFORMED and r.reasons == ("SOD_NOT_READ",)
    assert r.sod_signature is CheckResult.NOT_CHECKED and not r.dg14_covered


def test_checked_at_is_recorded(pki: TestPKI, store: CSCAStore) -> None:
    later = AT + timedelta(days=1)
    r = passive_authenticate(build_sod(DGS, pki), DGS, store, at=later)
    assert r.checked_at == later


@pytest.fixture(scope="module")
def fixed_sod(pki: TestPKI) -> bytes:
    return build_sod(DGS, pki, signing_time=datetime(2026, 1, 1, tzinfo=UTC))


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_mutated_sod_never_raises(fixed_sod: bytes, store: CSCAStore, data: st.DataObject) -> None:
    sod = fixed_sod
    position = data.draw(st.integers(0, len(sod) - 1))
    mutated = sod[:position] + bytes([data.draw(st.integers(0, 255))]) + sod[position + 1 :]
    r = run(mutated, store)
    assert r.result in (PAResult.PASSED, PAResult.FAILED, PAResult.CSCA_UNKNOWN)
    if mutated != sod and r.result is PAResult.PASSED:  # only bytes outside what is signed may change
        assert r.sod_signature is CheckResult.VALID


def test_a_decoded_sod_is_used_only_for_its_own_bytes(pki: TestPKI, store: CSCAStore) -> None:
    """``parsed=`` (the reader decodes EF.SOD once per read) never stands in for other bytes."""
    sod = build_sod(DGS, pki)
    assert passive_authenticate(sod, DGS, store, at=AT, parsed=SOD.from_bytes(sod)).passed
    other = SOD.from_bytes(build_sod({**DGS, 1: DGS[1] + b"\x00"}, pki))  # DG1's hash differs
    assert passive_authenticate(sod, DGS, store, at=AT, parsed=other).passed  # ``sod`` was decoded
    broken = passive_authenticate(sod[:-1], DGS, store, at=AT, parsed=SOD.from_bytes(sod))
    assert broken.reasons == ("SOD_PARSE_ERROR",)
