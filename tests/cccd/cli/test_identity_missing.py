"""``cccd verify-dump`` on a dump without DG1 or DG2: ``inconclusive`` with IDENTITY_DATA_MISSING, in JSON
and in the text output (issue 12: it used to say ``authentic`` and the text hid it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cccd.cli import main
from sims.people import load_profile
from sims.personalize import card_image


@pytest.mark.parametrize("missing", ["DG1", "DG2"])
def test_verify_dump_without_identity_data_is_inconclusive(
    missing: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = load_profile("default")
    dump, trust = tmp_path / "dump", tmp_path / "trust"
    card_image("default").pki.export_folder(trust, include_crl=False)
    key = ["--id", p.id_number, "--dob", p.mrz_birth_date, "--expiry", p.mrz_expiry_date]
    assert main(["read", "--sim", "default", *key, "--save-dump", str(dump)]) == 0
    (dump / missing).unlink()
    capsys.readouterr()
    assert main(["verify-dump", str(dump), "--trust", str(trust), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "inconclusive"
    assert report["reasons"][0] == "IDENTITY_DATA_MISSING"
    assert main(["verify-dump", str(dump), "--trust", str(trust)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert "inconclusive" in first and "IDENTITY_DATA_MISSING" in first


def test_text_report_lists_the_findings() -> None:
    from cccd.reading import render_text
    from reader.chipreport import build_chip_report
    from reader.engine import ChipReader, ReadRequest
    from reader.transports import CallableTransport

    image = card_image("default")
    card = image.new_card()
    card.lds.pop(0x010F)  # DG15: an optional file the chip lacks
    result = ChipReader(CallableTransport(card.execute)).read(
        ReadRequest(bac_key=image.bac_key, can=image.profile.can, data_groups=(1, 2, 13, 14, 15))
    )
    report = build_chip_report(result, []).to_json()
    assert {"code": "OPTIONAL_FILE_ABSENT", "subject": "DG15", "detail": "absent"} in report["findings"]
    assert "finding:        OPTIONAL_FILE_ABSENT DG15 (absent)" in render_text(build_chip_report(result, []))
