"""Public keys (explicit EC parameters), algorithm identifiers and signature verification."""

from __future__ import annotations

import pytest
from asn1crypto import algos, core, keys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from reader.pki.algorithms import SignatureAlgorithm, SignatureScheme, digest, hash_name
from reader.pki.certs import Certificate, load_certificates
from reader.pki.errors import CertificateParseError, KeyParseError, UnsupportedAlgorithmError
from reader.pki.keys import CurveParameters, curve_parameters, load_public_key, verify_signature
from sims.pki import TestPKI

CURVES = [
    ec.SECP192R1(), ec.SECP224R1(), ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1(), ec.SECP256K1(),
    ec.BrainpoolP256R1(), ec.BrainpoolP384R1(), ec.BrainpoolP512R1(),
]  # fmt: skip


def explicit_spki(
    public_key: ec.EllipticCurvePublicKey,
    params: CurveParameters,
    *,
    compressed_base: bool = False,
    cofactor: int | None = 1,
) -> bytes:
    """Encode a SubjectPublicKeyInfo with SpecifiedECDomain parameters (SEC 1 §C.2)."""
    size = params.size
    if compressed_base:
        base = bytes([2 | (params.gy & 1)]) + params.gx.to_bytes(size, "big")
    else:
        base = b"\x04" + params.gx.to_bytes(size, "big") + params.gy.to_bytes(size, "big")
    domain = {
        "version": "ecdpVer1",
        "field_id": {"field_type": "prime_field", "parameters": core.Integer(params.p)},
        "curve": {"a": params.a.to_bytes(size, "big"), "b": params.b.to_bytes(size, "big")},
        "base": base,
        "order": params.n,
    }
    if cofactor is not None:
        domain["cofactor"] = cofactor
    point = public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    spki = keys.PublicKeyInfo(
        {
            "algorithm": {
                "algorithm": "ec",
                "parameters": keys.ECDomainParameters("specified", keys.SpecifiedECDomain(domain)),
            },
            "public_key": point,
        }
    )
    return bytes(spki.dump())


@pytest.mark.parametrize("curve", CURVES, ids=lambda c: c.name)
def test_explicit_parameters_map_to_the_named_curve(curve: ec.EllipticCurve) -> None:
    key = ec.generate_private_key(curve)
    loaded = load_public_key(explicit_spki(key.public_key(), curve_parameters(curve)))
    assert isinstance(loaded, ec.EllipticCurvePublicKey)
    assert loaded.curve.name == curve.name
    assert loaded.public_numbers() == key.public_key().public_numbers()
    signature = key.sign(b"message", ec.ECDSA(hashes.SHA256()))
    assert verify_signature(
        loaded, SignatureAlgorithm(SignatureScheme.ECDSA, "sha256", ""), signature, b"message"
    )


def test_explicit_parameters_with_compressed_base_and_without_cofactor() -> None:
    curve = ec.BrainpoolP512R1()
    key = ec.generate_private_key(curve).public_key()
    params = curve_parameters(curve)
    for spki in (explicit_spki(key, params, compressed_base=True), explicit_spki(key, params, cofactor=None)):
        assert load_public_key(spki).public_numbers() == key.public_numbers()


@pytest.mark.parametrize(
    "change",
    ["generator", "a", "order", "cofactor", "compressed-parity"],
)
def test_explicit_parameters_that_match_no_curve_are_refused(change: str) -> None:
    """A substituted generator on a known curve (CVE-2020-0601) must not be accepted."""
    curve = ec.BrainpoolP256R1()
    key = ec.generate_private_key(curve)
    params = curve_parameters(curve)
    other = key.public_key().public_numbers()  # some other point on the curve
    cofactor = 1
    compressed = False
    if change == "generator":
        params = CurveParameters(params.name, params.p, params.a, params.b, other.x, other.y, params.n)
    elif change == "a":
        params = CurveParameters(
            params.name, params.p, params.a + 1, params.b, params.gx, params.gy, params.n
        )
    elif change == "order":
        params = CurveParameters(
            params.name, params.p, params.a, params.b, params.gx, params.gy, params.n - 2
        )
    elif change == "cofactor":
        cofactor = 2
    else:
        params = CurveParameters(
            params.name, params.p, params.a, params.b, params.gx, params.gy + 1, params.n
        )
        compressed = True
    spki = explicit_spki(key.public_key(), params, cofactor=cofactor, compressed_base=compressed)
    with pytest.raises(UnsupportedAlgorithmError):
        load_public_key(spki)


def test_named_curve_and_rsa_keys() -> None:
    for private in (ec.generate_private_key(ec.BrainpoolP384R1()), rsa.generate_private_key(65537, 1024)):
        der = private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        assert load_public_key(der).public_numbers() == private.public_key().public_numbers()


def test_bad_keys() -> None:
    with pytest.raises(KeyParseError):
        load_public_key(b"\x30\x03\x02\x01\x00")
    ed = keys.PublicKeyInfo({"algorithm": {"algorithm": "ed25519"}, "public_key": b"\x00" * 32}).dump()
    with pytest.raises(UnsupportedAlgorithmError):
        load_public_key(ed)
    named = keys.PublicKeyInfo(
        {
            "algorithm": {"algorithm": "ec", "parameters": keys.ECDomainParameters("named", "1.2.3.4")},
            "public_key": b"\x04" + b"\x01" * 64,
        }
    ).dump()
    with pytest.raises(UnsupportedAlgorithmError):
        load_public_key(named)


def _alg(name: str, **params: object) -> bytes:
    value: dict[str, object] = {"algorithm": name}
    if params:
        value["parameters"] = algos.RSASSAPSSParams(params)
    return bytes(algos.SignedDigestAlgorithm(value).dump())


def test_algorithm_identifiers() -> None:
    assert SignatureAlgorithm.from_der(_alg("sha384_ecdsa")).hash_name == "sha384"
    plain = SignatureAlgorithm.from_der(
        algos.SignedDigestAlgorithm({"algorithm": "0.4.0.127.0.7.1.1.4.1.3"}).dump()
    )
    assert (plain.scheme, plain.hash_name) == (SignatureScheme.ECDSA_PLAIN, "sha256")
    rsa_enc = SignatureAlgorithm.from_der(_alg("rsassa_pkcs1v15"), default_hash="sha512")
    assert (rsa_enc.scheme, rsa_enc.hash_name) == (SignatureScheme.RSA_PKCS1V15, "sha512")
    ec_pub = algos.SignedDigestAlgorithm({"algorithm": "1.2.840.10045.2.1"}).dump()
    assert SignatureAlgorithm.from_der(ec_pub, default_hash="sha256").scheme is SignatureScheme.ECDSA
    with pytest.raises(UnsupportedAlgorithmError, match="needs a digest"):
        SignatureAlgorithm.from_der(ec_pub)
    with pytest.raises(UnsupportedAlgorithmError):
        SignatureAlgorithm.from_der(_alg("md5_rsa"))
    with pytest.raises(UnsupportedAlgorithmError):
        SignatureAlgorithm.from_der(b"\x30\x00garbage")


def test_pss_parameters_and_defaults() -> None:
    defaults = SignatureAlgorithm.from_der(_alg("rsassa_pss", hash_algorithm={"algorithm": "sha1"}))
    assert (defaults.hash_name, defaults.mgf1_hash, defaults.salt_length) == ("sha1", "sha1", 20)
    explicit = SignatureAlgorithm.from_der(
        _alg(
            "rsassa_pss",
            hash_algorithm={"algorithm": "sha256"},
            mask_gen_algorithm={"algorithm": "mgf1", "parameters": {"algorithm": "sha384"}},
            salt_length=17,
        )
    )
    assert (explicit.hash_name, explicit.mgf1_hash, explicit.salt_length) == ("sha256", "sha384", 17)
    assert explicit.to_dict()["salt_length"] == 17


def test_rsa_signatures() -> None:
    key = rsa.generate_private_key(65537, 1024)
    pub = key.public_key()
    msg = b"signed attributes"
    pkcs = key.sign(msg, padding.PKCS1v15(), hashes.SHA256())
    assert verify_signature(pub, SignatureAlgorithm(SignatureScheme.RSA_PKCS1V15, "sha256", ""), pkcs, msg)
    assert not verify_signature(
        pub, SignatureAlgorithm(SignatureScheme.RSA_PKCS1V15, "sha256", ""), pkcs, b"x"
    )
    pss = key.sign(msg, padding.PSS(mgf=padding.MGF1(hashes.SHA1()), salt_length=17), hashes.SHA256())
    good = SignatureAlgorithm(SignatureScheme.RSA_PSS, "sha256", "", "sha1", 17)
    assert verify_signature(pub, good, pss, msg)
    for wrong in (
        SignatureAlgorithm(SignatureScheme.RSA_PSS, "sha256", "", "sha1", 32),
        SignatureAlgorithm(SignatureScheme.RSA_PSS, "sha256", "", "sha256", 17),
    ):
        assert not verify_signature(pub, wrong, pss, msg)
    with pytest.raises(UnsupportedAlgorithmError):
        verify_signature(pub, SignatureAlgorithm(SignatureScheme.ECDSA, "sha256", ""), pkcs, msg)


def test_ecdsa_signature_encodings() -> None:
    key = ec.generate_private_key(ec.BrainpoolP256R1())
    pub = key.public_key()
    msg = b"signed attributes"
    der = key.sign(msg, ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    alg = SignatureAlgorithm(SignatureScheme.ECDSA, "sha256", "")
    assert verify_signature(pub, alg, der, msg)
    # BER with a superfluous leading zero in r: tolerated (seen in issued SODs), value unchanged.
    r_bytes = b"\x00" + r.to_bytes((r.bit_length() + 8) // 8, "big")
    s_der = core.Integer(s).dump()
    ber = b"\x30" + bytes([2 + len(r_bytes) + len(s_der)]) + b"\x02" + bytes([len(r_bytes)]) + r_bytes + s_der
    assert verify_signature(pub, alg, ber, msg)
    plain = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert verify_signature(pub, SignatureAlgorithm(SignatureScheme.ECDSA_PLAIN, "sha256", ""), plain, msg)
    assert not verify_signature(
        pub, SignatureAlgorithm(SignatureScheme.ECDSA_PLAIN, "sha256", ""), plain[1:], msg
    )
    for garbage in (b"", b"\x30\x00", b"\x01\x02\x03", b"\x30\x06\x02\x01\x00\x02\x01\x00"):
        assert not verify_signature(pub, alg, garbage, msg)
    with pytest.raises(UnsupportedAlgorithmError):
        verify_signature(
            pub, SignatureAlgorithm(SignatureScheme.RSA_PSS, "sha256", "", "sha256", 32), der, msg
        )


def test_hashes() -> None:
    assert hash_name("2.16.840.1.101.3.4.2.3") == "sha512"
    with pytest.raises(UnsupportedAlgorithmError):
        hash_name("1.2.840.113549.2.5")  # md5
    with pytest.raises(UnsupportedAlgorithmError):
        digest("md5", b"")


def test_certificates_from_pem_and_der() -> None:
    pki = TestPKI.generate(seed=b"keys-certs")
    bundle = pki.csca_pem() + TestPKI.generate(seed=b"keys-certs-2").csca_pem()
    certs = load_certificates(bundle)
    assert len(certs) == 2 and certs[0].der == pki.csca_der
    csca = Certificate.from_der(pki.csca_der)
    assert csca.is_ca is True and csca.key_usage == frozenset({"key_cert_sign", "crl_sign"})
    assert csca.subject == csca.issuer == "CN=CSCA Test,O=CCCD Kiosk Test PKI,C=VN"
    ds = Certificate.from_der(pki.ds_der)
    assert ds.is_ca is None and ds.key_usage == frozenset({"digital_signature"})
    assert ds.authority_key_identifier == csca.subject_key_identifier
    assert ds.is_signed_by(csca) and csca.is_signed_by(csca) and not csca.is_signed_by(ds)
    assert "Certificate(subject=" in repr(ds)


@pytest.mark.parametrize(
    "data",
    [b"", b"\x30\x00", b"not a certificate", b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n"],
)
def test_bad_certificates(data: bytes) -> None:
    with pytest.raises(CertificateParseError):
        load_certificates(data)


def test_pem_without_certificate() -> None:
    from asn1crypto import pem

    with pytest.raises(CertificateParseError, match="no CERTIFICATE"):
        load_certificates(pem.armor("X509 CRL", b"\x30\x00"))
