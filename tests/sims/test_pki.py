"""The generated test PKI: certificate profiles, options, determinism, exports, EF.SOD building."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import cms, keys
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm

from reader.lds.sod import SOD
from reader.pki.certs import Certificate, Validity
from reader.pki.crl import CRL
from reader.pki.masterlist import MasterListSignature, parse_master_list
from sims.pki import TestPKI, build_sod

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def test_default_profile() -> None:
    pki = TestPKI.generate(now=NOW)
    csca = x509.load_der_x509_certificate(pki.csca_der)
    ds = x509.load_der_x509_certificate(pki.ds_der)
    assert csca.subject == csca.issuer == ds.issuer
    assert csca.public_key().curve.name == "brainpoolP384r1"  # type: ignore[union-attr]
    assert csca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert csca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    assert ds.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    ds.verify_directly_issued_by(csca)
    assert csca.signature_hash_algorithm is not None and csca.signature_hash_algorithm.name == "sha384"
    assert ds.not_valid_before_utc <= NOW <= ds.not_valid_after_utc
    assert pki.crl is None
    assert "PrivateKey" not in repr(pki) and "key=" not in repr(pki)  # private keys are not shown


@pytest.mark.parametrize(
    ("validity", "expected"),
    [("valid", Validity.VALID), ("expired", Validity.EXPIRED), ("not_yet_valid", Validity.NOT_YET_VALID)],
)
def test_ds_validity_options(validity: str, expected: Validity) -> None:
    pki = TestPKI.generate(now=NOW, ds_validity=validity, seed=b"sims-validity")  # type: ignore[arg-type]
    assert Certificate.from_der(pki.ds_der).validity_at(NOW) is expected
    assert Certificate.from_der(pki.csca_der).validity_at(NOW) is Validity.VALID


def test_unknown_options_are_refused() -> None:
    with pytest.raises(ValueError):
        TestPKI.generate(ds_validity="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        TestPKI.generate(csca_key="curve25519")
    with pytest.raises(ValueError):
        build_sod({}, TestPKI.generate(seed=b"sims-empty"))


def test_explicit_parameters_encoding() -> None:
    pki = TestPKI.generate(
        now=NOW, csca_key="brainpoolP512r1", csca_hash="sha512", csca_explicit_params=True, seed=b"sims-vn"
    )
    spki = ax509.Certificate.load(pki.csca_der)["tbs_certificate"]["subject_public_key_info"]
    assert isinstance(spki["algorithm"]["parameters"], keys.ECDomainParameters)
    assert spki["algorithm"]["parameters"].name == "specified"
    with pytest.raises(UnsupportedAlgorithm):  # what the reader has to work around
        x509.load_der_x509_certificate(pki.csca_der).public_key()
    csca = Certificate.from_der(pki.csca_der)
    assert csca.is_signed_by(csca)  # re-signed after re-encoding the SPKI
    assert Certificate.from_der(pki.ds_der).is_signed_by(csca)
    assert csca.public_key().curve.name == "brainpoolP512r1"  # type: ignore[union-attr]


def test_rsa_and_pss_variants() -> None:
    pki = TestPKI.generate(now=NOW, csca_key="rsa2048", csca_pss=True, csca_hash="sha256", seed=b"sims-rsa")
    oid = ax509.Certificate.load(pki.ds_der)["signature_algorithm"]["algorithm"].native
    assert oid == "rsassa_pss"
    csca = Certificate.from_der(pki.csca_der)
    assert Certificate.from_der(pki.ds_der).is_signed_by(csca)


def test_seed_makes_the_pki_reproducible() -> None:
    a = TestPKI.generate(now=NOW, seed=b"sims-seed")
    b = TestPKI.generate(now=NOW, seed=b"sims-seed")
    c = TestPKI.generate(now=NOW, seed=b"sims-other")
    assert a.csca_der == b.csca_der and a.ds_der == b.ds_der
    assert a.csca_der != c.csca_der
    assert TestPKI.generate(now=NOW).csca_der != TestPKI.generate(now=NOW).csca_der


def test_crl_revoking_the_ds() -> None:
    pki = TestPKI.generate(now=NOW, revoke_ds=True, seed=b"sims-crl")
    assert pki.crl is not None
    crl = x509.load_der_x509_crl(pki.crl)
    ds = x509.load_der_x509_certificate(pki.ds_der)
    assert crl.get_revoked_certificate_by_serial_number(ds.serial_number) is not None
    assert crl.is_signature_valid(x509.load_der_x509_certificate(pki.csca_der).public_key())  # type: ignore[arg-type]
    empty = TestPKI.generate(now=NOW, with_crl=True, seed=b"sims-crl")
    assert empty.crl is not None and CRL.from_bytes(empty.crl).revoked_serials == frozenset()


def test_exports(tmp_path: Path) -> None:
    pki = TestPKI.generate(now=NOW, with_crl=True, seed=b"sims-export")
    pki.export_folder(tmp_path / "pem")
    pki.export_folder(tmp_path / "der", der=True, include_crl=False)
    assert sorted(p.name for p in (tmp_path / "pem").iterdir()) == ["csca.crl", "csca.pem"]
    assert [p.name for p in (tmp_path / "der").iterdir()] == ["csca.cer"]
    assert (tmp_path / "der" / "csca.cer").read_bytes() == pki.csca_der
    assert x509.load_pem_x509_certificate(
        (tmp_path / "pem" / "csca.pem").read_bytes()
    ).subject.rfc4514_string()
    ml_path = pki.export_master_list(tmp_path / "list.ml")
    ml = parse_master_list(ml_path.read_bytes())
    assert ml.signature is MasterListSignature.VALID
    assert [c.der for c in ml.certificates] == [pki.csca_der]
    assert cms.ContentInfo.load(ml_path.read_bytes())["content"]["encap_content_info"][
        "content_type"
    ].dotted == ("2.23.136.1.1.2")


@pytest.mark.parametrize("hash_alg", ["sha1", "sha256", "sha512"])
def test_build_sod_structure(hash_alg: str) -> None:
    pki = TestPKI.generate(now=NOW, seed=b"sims-sod")
    dgs = {1: b"\x61\x01a", 2: b"\x75\x01b", 15: b"\x6f\x01c"}
    raw = build_sod(dgs, pki, hash_alg, signature_hash="sha384", signing_time=NOW)
    assert raw[0] == 0x77
    sod = SOD.from_bytes(raw)
    assert sod.dg_hashes == {n: hashlib.new(hash_alg, v).digest() for n, v in dgs.items()}
    signer = sod.signer_info
    assert signer.signing_time == NOW
    assert (
        signer.version == 1
        and signer.serial_number == x509.load_der_x509_certificate(pki.ds_der).serial_number
    )
    info = cms.ContentInfo.load(raw[4:] if raw[1] == 0x82 else raw[3:])
    si = info["content"]["signer_infos"][0]
    assert si["digest_algorithm"]["algorithm"].native == hash_alg
    assert si["signature_algorithm"]["algorithm"].native == "sha384_ecdsa"
    assert [a["type"].native for a in si["signed_attrs"]] == [
        "content_type",
        "signing_time",
        "message_digest",
    ]
