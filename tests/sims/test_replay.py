"""A simulated card rebuilt from a dump: without the private keys it is a clone; with them, the original.
Also `cccd sim serve --from-dump` read through the real pcscd + vpcd by another process."""

from __future__ import annotations

from pathlib import Path

import pytest

from cccd.cli import main
from cccd.cli.dump import load_dump
from reader.engine import ChipReader, ReadRequest
from reader.pki.trust import CSCAStore
from reader.report import Verdict
from reader.transports import CallableTransport
from sims.personalize import card_image
from sims.replay import ReplayError, card_from_dump, load_private_key
from tests.conftest import require_pcscd
from tests.helpers.simserve import pkcs8_pem, serve_dump_and_read


def _dump(tmp_path: Path) -> Path:
    p = card_image("default").profile
    dump = tmp_path / "dump"
    args = ["read", "--sim", "default", "--id", p.id_number, "--dob", p.mrz_birth_date, "--expiry",
            p.mrz_expiry_date, "--save-dump", str(dump)]  # fmt: skip
    assert main(args) == 0
    return dump


def _verdict(card_execute: object) -> Verdict:
    image = card_image("default")
    store = CSCAStore()
    image.add_test_csca_to(store)
    request = ReadRequest(bac_key=image.bac_key, can=image.profile.can, trust=store)
    return ChipReader(CallableTransport(card_execute)).read(request).verdict  # type: ignore[arg-type]


def test_replayed_dump_without_keys_is_a_clone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = load_dump(_dump(tmp_path))
    assert _verdict(card_from_dump(files).execute) is Verdict.NOT_AUTHENTIC


def test_replayed_dump_with_the_keys_is_the_card(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = card_image("default")
    files = load_dump(_dump(tmp_path))
    ca = load_private_key(pkcs8_pem(image.ca_key, tmp_path / "ca.pem"))
    aa = load_private_key(pkcs8_pem(image.aa_key, tmp_path / "aa.pem"))
    assert _verdict(card_from_dump(files, ca_key=ca, aa_key=aa).execute) is Verdict.AUTHENTIC


def test_bad_dumps_and_keys_are_typed_errors(tmp_path: Path) -> None:
    with pytest.raises(ReplayError, match="DG1"):
        card_from_dump({"EF.COM": b"\x60\x00"})
    bad = tmp_path / "key.pem"
    bad.write_text("not a key")
    with pytest.raises(ReplayError, match="PEM"):
        load_private_key(bad)


def test_sim_serve_argument_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "serve", "--ca-key", "x.pem"]) == 2
    assert "--from-dump" in capsys.readouterr().err


@pytest.mark.pcsc
def test_sim_serve_from_dump_through_pcscd(tmp_path: Path) -> None:
    require_pcscd()
    image = card_image("default")
    dump, trust = _dump(tmp_path), tmp_path / "trust"
    image.pki.export_folder(trust, include_crl=False)
    ca, aa = pkcs8_pem(image.ca_key, tmp_path / "ca.pem"), pkcs8_pem(image.aa_key, tmp_path / "aa.pem")
    report = serve_dump_and_read(dump, trust, image.profile.can, ca_key=ca, aa_key=aa)
    assert report["access"]["method"] == "PACE" and report["verdict"] == "authentic"
