"""A replayed chip whose Chip Authentication key is on brainpoolP224r1 with *explicit* domain parameters in
DG14 (as in the BSI TR-03105-5 reference data set): ``cryptography`` cannot load such a key
(``UnsupportedAlgorithm``), sims.eckeys can, and the reader's CA against that chip runs end to end —
in-process and as `cccd sim serve --from-dump --ca-key` read through the real pcscd."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from cccd.cli.dump import load_dump
from reader import tlv
from reader.access.params import STANDARDIZED, ECGroup
from reader.engine import ChipReader, ReadRequest
from reader.lds.oids import encode_integer
from reader.pki.trust import CSCAStore
from reader.report import AntiCloneMethod, ProofResult, Verdict
from reader.transports import CallableTransport
from sims import lds_build
from sims.cms_build import build_sod
from sims.eckeys import (
    ECKeyError,
    RawECPrivateKey,
    explicit_parameters,
    load_ec_private_key,
    load_pem,
    private_key_pem,
    public_key_spki,
)
from sims.personalize import CardImage, card_image
from sims.replay import ReplayError, card_from_dump, load_private_key
from tests.conftest import require_pcscd
from tests.helpers.simserve import pkcs8_pem, serve_dump_and_read

P224 = STANDARDIZED[11]
assert isinstance(P224, ECGroup) and P224.name == "brainpoolP224r1"


def _key() -> RawECPrivateKey:
    return RawECPrivateKey(P224, P224.random_private(os.urandom))


def _write_dump(image: CardImage, key: RawECPrivateKey, folder: Path) -> Path:
    """The card's files with DG14 declaring ``key`` with explicit parameters, EF.SOD signed again."""
    dgs = {int(name[2:]): data for name, data in image.lds_files.items() if name.startswith("DG")}
    dgs[14] = lds_build.build_dg14(public_key_spki(key, explicit=True), key_id=7)
    files = {**image.mf_files, **{f"DG{n}": raw for n, raw in dgs.items()}}
    files["EF.COM"] = image.lds_files["EF.COM"]
    files["EF.SOD"] = build_sod(dgs, image.pki)
    folder.mkdir()
    for name, raw in files.items():
        (folder / name).write_bytes(raw)
    return folder


def test_cryptography_cannot_load_the_key_and_eckeys_can(tmp_path: Path) -> None:
    key = _key()
    pem = private_key_pem(key, explicit=True)
    with pytest.raises((UnsupportedAlgorithm, ValueError)):
        serialization.load_pem_private_key(pem, password=None)
    loaded = load_pem(pem)
    assert loaded.group is P224 and loaded.public_key == key.public_key
    assert str(key.d) not in repr(loaded)
    assert load_pem(private_key_pem(key, explicit=False)).public_key == key.public_key
    (tmp_path / "ca.pem").write_bytes(pem)
    assert isinstance(load_private_key(tmp_path / "ca.pem"), RawECPrivateKey)


def test_mismatched_or_broken_keys_are_refused() -> None:
    key, other = _key(), _key()
    der = tlv.encode_constructed(
        0x30,
        encode_integer(1),
        tlv.encode(0x04, key.d.to_bytes(28, "big")),
        tlv.encode(0xA0, explicit_parameters(P224)),
        tlv.encode(0xA1, tlv.encode(0x03, b"\x00" + other.public_key)),  # someone else's public key
    )
    with pytest.raises(ECKeyError, match="does not match"):
        load_ec_private_key(der, None)
    with pytest.raises(ECKeyError):
        load_pem(private_key_pem(key).replace(b"EC PRIVATE KEY", b"RSA PRIVATE KEY"))
    with pytest.raises(ECKeyError):
        load_pem(b"-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n")
    forged = explicit_parameters(P224).replace(P224.encode(P224.generator), P224.encode(P224.generator * 2))
    der = tlv.encode_constructed(
        0x30, encode_integer(1), tlv.encode(0x04, key.d.to_bytes(28, "big")), tlv.encode(0xA0, forged)
    )
    with pytest.raises(ECKeyError):  # a forged base point is no standardized curve (CVE-2020-0601)
        load_ec_private_key(der, None)


def test_chip_authentication_with_the_explicit_p224_key_runs_end_to_end(tmp_path: Path) -> None:
    image = card_image("default")
    key = _key()
    dump = _write_dump(image, key, tmp_path / "dump")
    (tmp_path / "ca.pem").write_bytes(private_key_pem(key, explicit=True))
    card = card_from_dump(
        load_dump(dump),
        ca_key=load_private_key(tmp_path / "ca.pem"),
        aa_key=load_private_key(pkcs8_pem(image.aa_key, tmp_path / "aa.pem")),
    )
    store = CSCAStore()
    image.add_test_csca_to(store)
    result = ChipReader(CallableTransport(card.execute)).read(
        ReadRequest(bac_key=image.bac_key, can=image.profile.can, trust=store)
    )
    ca = next(p for p in result.proofs if p.method is AntiCloneMethod.CA)
    assert ca.result is ProofResult.PASSED and ca.key_covered_by_sod, ca
    assert result.verdict is Verdict.AUTHENTIC, result.reasons
    assert result.evidence["ca"]["key_id"] == 7


def test_the_wrong_p224_key_fails_chip_authentication(tmp_path: Path) -> None:
    image = card_image("default")
    dump = _write_dump(image, _key(), tmp_path / "dump")
    card = card_from_dump(load_dump(dump), ca_key=_key())
    result = ChipReader(CallableTransport(card.execute)).read(
        ReadRequest(bac_key=image.bac_key, can=image.profile.can)
    )
    ca = next(p for p in result.proofs if p.method is AntiCloneMethod.CA)
    assert ca.result is ProofResult.FAILED and result.verdict is Verdict.NOT_AUTHENTIC


def test_an_rsa_key_is_not_a_chip_authentication_key(tmp_path: Path) -> None:
    image = card_image("default")
    dump = _write_dump(image, _key(), tmp_path / "dump")
    with pytest.raises(ReplayError, match="EC key"):
        card_from_dump(load_dump(dump), ca_key=load_private_key(pkcs8_pem(image.aa_key, tmp_path / "aa.pem")))


@pytest.mark.pcsc
def test_sim_serve_from_dump_with_the_explicit_p224_key_through_pcscd(tmp_path: Path) -> None:
    require_pcscd()
    image = card_image("default")
    key = _key()
    dump = _write_dump(image, key, tmp_path / "dump")
    trust = tmp_path / "trust"
    image.pki.export_folder(trust, include_crl=False)
    (tmp_path / "ca.pem").write_bytes(private_key_pem(key, explicit=True))
    aa = pkcs8_pem(image.aa_key, tmp_path / "aa.pem")
    report = serve_dump_and_read(dump, trust, image.profile.can, ca_key=tmp_path / "ca.pem", aa_key=aa)
    assert report["checks"]["chip_auth"]["result"] == "passed"
    assert report["verdict"] == "authentic"
