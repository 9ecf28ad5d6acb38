"""A generated test PKI for the simulated card: CSCA, Document Signer, CRL, master list (EF.SOD and CMS
SignedData: :mod:`sims.cms_build`, re-exported).

Issuer side of ICAO 9303-12 (§5 CSCA and Document Signer, §7.1 certificate and CRL profiles, §8 master
lists) and ICAO 9303-10 §4.6.2 (EF.SOD).  Certificates and CRLs come from ``cryptography``'s builders;
CMS SignedData and explicit EC parameters, which ``cryptography`` cannot encode, are built with
``asn1crypto``.  Nothing here is trusted by the reader unless a test puts the CSCA in a trust store.

Keys are random unless a ``seed`` is given: EC private keys are then derived from it (and certificate
serial numbers and ECDSA signatures become deterministic, RFC 6979); RSA keys are cached per process
instead, so a seeded call returns the same PKI within one test run.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from asn1crypto import algos, keys, pem
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from reader.pki.keys import curve_parameters
from reader.pki.masterlist import ID_ICAO_CSCA_MASTER_LIST, CscaMasterList
from sims.cms_build import build_sod as build_sod  # re-exported: tests and personalisation import it here
from sims.cms_build import signed_content_info
from sims.eckeys import explicit_parameters, standardized_group

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
DSValidity = Literal["valid", "expired", "not_yet_valid"]

_CURVES: dict[str, ec.EllipticCurve] = {
    "brainpoolP256r1": ec.BrainpoolP256R1(),
    "brainpoolP384r1": ec.BrainpoolP384R1(),
    "brainpoolP512r1": ec.BrainpoolP512R1(),
    "secp256r1": ec.SECP256R1(),
    "secp384r1": ec.SECP384R1(),
    "secp521r1": ec.SECP521R1(),
}
_HashType = hashes.SHA1 | hashes.SHA224 | hashes.SHA256 | hashes.SHA384 | hashes.SHA512
_HASHES: dict[str, type[_HashType]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


@dataclass(frozen=True, slots=True)
class Signer:
    """A private key with its certificate (DER) and how it signs."""

    key: PrivateKey = field(repr=False)
    cert: bytes = field(repr=False)
    hash_name: str
    pss: bool = False
    deterministic: bool = False

    def sign(self, data: bytes, hash_name: str | None = None) -> bytes:
        h = _HASHES[hash_name or self.hash_name]()
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            return self.key.sign(data, ec.ECDSA(h, deterministic_signing=self.deterministic))
        return self.key.sign(data, _rsa_padding(h, self.pss), h)

    def algorithm(self, hash_name: str | None = None) -> algos.SignedDigestAlgorithm:
        """The signature AlgorithmIdentifier (RFC 5758 §3.2, RFC 8017, RFC 4055 §3.1)."""
        name = hash_name or self.hash_name
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            return algos.SignedDigestAlgorithm({"algorithm": f"{name}_ecdsa"})
        if not self.pss:
            return algos.SignedDigestAlgorithm({"algorithm": f"{name}_rsa"})
        params = algos.RSASSAPSSParams(
            {
                "hash_algorithm": {"algorithm": name},
                "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": name}},
                "salt_length": _HASHES[name].digest_size,
            }
        )
        return algos.SignedDigestAlgorithm({"algorithm": "rsassa_pss", "parameters": params})


_CertHash = hashes.SHA224 | hashes.SHA256 | hashes.SHA384 | hashes.SHA512


def _cert_hash(name: str) -> _CertHash:
    """Hashes ``cryptography`` signs certificates and CRLs with (no SHA-1)."""
    h = _HASHES[name]()
    if isinstance(h, hashes.SHA1):
        raise ValueError("certificates and CRLs are not signed with SHA-1")
    return h


def _rsa_padding(h: hashes.HashAlgorithm, pss: bool) -> padding.PSS | padding.PKCS1v15:
    if pss:
        return padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size)
    return padding.PKCS1v15()


@dataclass(frozen=True)
class TestPKI:
    """CSCA → Document Signer (+ master-list signer, optional CRL), all as DER."""

    __test__ = False  # not a pytest test class

    csca: Signer
    ds: Signer
    ml_signer: Signer
    crl: bytes | None = field(default=None, repr=False)

    @classmethod
    def generate(
        cls,
        *,
        csca_key: str = "brainpoolP384r1",
        csca_hash: str = "sha384",
        csca_pss: bool = False,
        csca_explicit_params: bool = False,
        ds_key: str = "brainpoolP384r1",
        ds_hash: str = "sha256",
        ds_pss: bool = False,
        ds_explicit_params: bool = False,
        ds_validity: DSValidity = "valid",
        with_crl: bool = False,
        revoke_ds: bool = False,
        country: str = "VN",
        now: datetime | None = None,
        seed: bytes | None = None,
    ) -> TestPKI:
        """Generate a PKI.  Keys: a curve name (``brainpoolP384r1``, ``secp256r1`` ...) or ``rsa2048``.

        ``ds_hash`` is the DS's default signature hash for EF.SOD; ``csca_hash`` signs certificates and
        the CRL.  ``revoke_ds`` implies ``with_crl``.  ``now`` (default: today 00:00 UTC) anchors the
        validity periods; with a ``seed`` the result is cached per process.
        """
        options = _Options(
            csca_key, csca_hash, csca_pss, csca_explicit_params, ds_key, ds_hash, ds_pss, ds_explicit_params,
            ds_validity, with_crl or revoke_ds, revoke_ds, country,
            now or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0), seed,
        )  # fmt: skip
        return _build(options) if seed is None else _build_cached(options)

    # --- exports -------------------------------------------------------------------------------

    @property
    def csca_der(self) -> bytes:
        return self.csca.cert

    @property
    def ds_der(self) -> bytes:
        return self.ds.cert

    def csca_pem(self) -> bytes:
        return _pem(self.csca.cert, "CERTIFICATE")

    def export_folder(self, path: str | Path, *, der: bool = False, include_crl: bool = True) -> Path:
        """Write the CSCA (``csca.pem`` or ``csca.cer``) and the CRL (``csca.crl``) into ``path``."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        if der:
            (folder / "csca.cer").write_bytes(self.csca.cert)
        else:
            (folder / "csca.pem").write_bytes(self.csca_pem())
        if include_crl and self.crl is not None:
            (folder / "csca.crl").write_bytes(self.crl)
        return folder

    def master_list(self, *, extra_cscas: tuple[bytes, ...] = (), signed: bool = True) -> bytes:
        """A CSCA master list (ICAO 9303-12 §8) holding this CSCA (+ ``extra_cscas``), as DER."""
        certs = [ax509.Certificate.load(der) for der in (self.csca.cert, *extra_cscas)]
        content = CscaMasterList({"version": 0, "cert_list": certs}).dump()
        return signed_content_info(ID_ICAO_CSCA_MASTER_LIST, content, self.ml_signer if signed else None)

    def export_master_list(self, path: str | Path, **options: Any) -> Path:
        target = Path(path)
        target.write_bytes(self.master_list(**options))
        return target


def _pem(der: bytes, label: str) -> bytes:
    return bytes(pem.armor(label, der))


# --- generation ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Options:
    csca_key: str
    csca_hash: str
    csca_pss: bool
    csca_explicit_params: bool
    ds_key: str
    ds_hash: str
    ds_pss: bool
    ds_explicit_params: bool
    ds_validity: DSValidity
    with_crl: bool
    revoke_ds: bool
    country: str
    now: datetime
    seed: bytes | None


@functools.lru_cache(maxsize=64)
def _build_cached(o: _Options) -> TestPKI:
    return _build(o)


def _build(o: _Options) -> TestPKI:
    det = o.seed is not None
    csca_key = _private_key(o.csca_key, o.seed, "csca")
    csca_name = _name(o.country, "CSCA Test")
    csca_cert = _certificate(
        subject=csca_name, subject_key=csca_key.public_key(), issuer=csca_name, issuer_key=csca_key,
        not_before=o.now - timedelta(days=365), not_after=o.now + timedelta(days=15 * 365),
        extensions=_ca_extensions(csca_key), hash_name=o.csca_hash, pss=o.csca_pss,
        serial=_serial(o.seed, "csca"), explicit=o.csca_explicit_params, deterministic=det,
    )  # fmt: skip
    csca = Signer(csca_key, csca_cert, o.csca_hash, o.csca_pss, det)
    ds_key = _private_key(o.ds_key, o.seed, "ds")
    ds_cert = _issue(csca, csca_name, _name(o.country, "Document Signer Test"), ds_key, o.seed, "ds",
                     _ds_window(o.now, o.ds_validity), o.ds_explicit_params)  # fmt: skip
    ml_key = _private_key("brainpoolP256r1", o.seed, "ml")
    ml_cert = _issue(csca, csca_name, _name(o.country, "Master List Signer Test"), ml_key, o.seed, "ml",
                     (o.now - timedelta(days=30), o.now + timedelta(days=5 * 365)), False)  # fmt: skip
    crl = _crl(csca, csca_name, ds_cert if o.revoke_ds else None, o.now) if o.with_crl else None
    return TestPKI(
        csca,
        Signer(ds_key, ds_cert, o.ds_hash, o.ds_pss, det),
        Signer(ml_key, ml_cert, "sha256", False, det),
        crl,
    )


def _ds_window(now: datetime, validity: str) -> tuple[datetime, datetime]:
    if validity == "expired":
        return now - timedelta(days=3 * 365), now - timedelta(days=1)
    if validity == "not_yet_valid":
        return now + timedelta(days=2), now + timedelta(days=10 * 365)
    if validity != "valid":
        raise ValueError(f"unknown DS validity {validity!r}")
    return now - timedelta(days=30), now + timedelta(days=10 * 365)


def _issue(
    csca: Signer, csca_name: x509.Name, subject: x509.Name, key: PrivateKey, seed: bytes | None, role: str,
    window: tuple[datetime, datetime], explicit: bool,
) -> bytes:  # fmt: skip
    """A leaf certificate (DS or master-list signer) issued by the CSCA (ICAO 9303-12 §7.1.1)."""
    ski = x509.SubjectKeyIdentifier.from_public_key(csca.key.public_key())
    extensions: list[tuple[x509.ExtensionType, bool]] = [
        (x509.KeyUsage(True, False, False, False, False, False, False, False, False), True),
        (x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False),
        (x509.AuthorityKeyIdentifier(ski.digest, None, None), False),
    ]
    return _certificate(
        subject=subject, subject_key=key.public_key(), issuer=csca_name, issuer_key=csca.key,
        not_before=window[0], not_after=window[1], extensions=extensions, hash_name=csca.hash_name,
        pss=csca.pss, serial=_serial(seed, role), explicit=explicit, deterministic=csca.deterministic,
    )  # fmt: skip


def _ca_extensions(key: PrivateKey) -> list[tuple[x509.ExtensionType, bool]]:
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    return [
        (x509.BasicConstraints(ca=True, path_length=0), True),
        (x509.KeyUsage(False, False, False, False, False, True, True, False, False), True),
        (ski, False),
        (x509.AuthorityKeyIdentifier(ski.digest, None, None), False),
    ]


def _certificate(
    *, subject: x509.Name, subject_key: Any, issuer: x509.Name, issuer_key: PrivateKey,
    not_before: datetime, not_after: datetime, extensions: list[tuple[x509.ExtensionType, bool]],
    hash_name: str, pss: bool, serial: int, explicit: bool, deterministic: bool,
) -> bytes:  # fmt: skip
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(subject_key)
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    for ext, critical in extensions:
        builder = builder.add_extension(ext, critical=critical)
    h = _cert_hash(hash_name)
    if isinstance(issuer_key, ec.EllipticCurvePrivateKey):
        cert = builder.sign(issuer_key, h, ecdsa_deterministic=deterministic)
    else:
        cert = builder.sign(issuer_key, h, rsa_padding=_rsa_padding(h, pss))
    der = cert.public_bytes(serialization.Encoding.DER)
    if explicit:
        signer = Signer(issuer_key, b"", hash_name, pss, deterministic)
        der = _with_explicit_parameters(der, subject_key, signer)
    return der


def _with_explicit_parameters(der: bytes, public_key: Any, signer: Signer) -> bytes:
    """Re-encode the SPKI with SpecifiedECDomain parameters (SEC 1 §C.2) and re-sign the TBS."""
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise ValueError("explicit parameters need an EC key")
    domain = keys.SpecifiedECDomain.load(explicit_parameters(standardized_group(public_key.curve)))
    point = public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    spki = keys.PublicKeyInfo(
        {
            "algorithm": {"algorithm": "ec", "parameters": keys.ECDomainParameters("specified", domain)},
            "public_key": point,
        }
    )
    cert = ax509.Certificate.load(der)
    tbs = cert["tbs_certificate"]
    tbs["subject_public_key_info"] = spki
    tbs_der = tbs.dump(force=True)
    new = ax509.Certificate(
        {
            "tbs_certificate": ax509.TbsCertificate.load(tbs_der),
            "signature_algorithm": cert["signature_algorithm"],
            "signature_value": signer.sign(tbs_der),
        }
    )
    return bytes(new.dump())


def _crl(csca: Signer, csca_name: x509.Name, revoked: bytes | None, now: datetime) -> bytes:
    """A CSCA CRL (ICAO 9303-12 §7.1.4), revoking ``revoked`` when given."""
    ski = x509.SubjectKeyIdentifier.from_public_key(csca.key.public_key())
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(csca_name)
        .last_update(now - timedelta(days=1))
        .next_update(now + timedelta(days=90))
        .add_extension(x509.AuthorityKeyIdentifier(ski.digest, None, None), critical=False)
        .add_extension(x509.CRLNumber(1), critical=False)
    )
    if revoked is not None:
        serial = x509.load_der_x509_certificate(revoked).serial_number
        entry = (
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now - timedelta(hours=1))
        )
        builder = builder.add_revoked_certificate(entry.build())
    h = _cert_hash(csca.hash_name)
    if isinstance(csca.key, ec.EllipticCurvePrivateKey):
        crl = builder.sign(csca.key, h, ecdsa_deterministic=csca.deterministic)
    else:
        crl = builder.sign(csca.key, h, rsa_padding=_rsa_padding(h, csca.pss))
    return crl.public_bytes(serialization.Encoding.DER)


def _name(country: str, common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "CCCD Kiosk Test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _serial(seed: bytes | None, role: str) -> int:
    if seed is None:
        return x509.random_serial_number()
    return int.from_bytes(hashlib.sha256(seed + b"serial" + role.encode()).digest()[:16], "big") >> 1 | 1


def _private_key(spec: str, seed: bytes | None, role: str) -> PrivateKey:
    if spec.startswith("rsa"):
        return _rsa_key(int(spec[3:]), seed, role)
    curve = _CURVES.get(spec)
    if curve is None:
        raise ValueError(f"unknown key spec {spec!r}")
    if seed is None:
        return ec.generate_private_key(curve)
    n = curve_parameters(curve).n
    material = hashlib.sha512(seed + b"key" + role.encode()).digest() * 2
    return ec.derive_private_key(int.from_bytes(material, "big") % (n - 1) + 1, curve)


@functools.lru_cache(maxsize=16)
def _rsa_key_cached(bits: int, seed: bytes, role: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(65537, bits)


def _rsa_key(bits: int, seed: bytes | None, role: str) -> rsa.RSAPrivateKey:
    if seed is None:
        return rsa.generate_private_key(65537, bits)
    return _rsa_key_cached(bits, seed, role)
