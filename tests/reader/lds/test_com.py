"""EF.COM (reader/lds/com.py): ICAO 9303-10 §4.6.1; the CCCD's content (cccd-chip.md §3)."""

from __future__ import annotations

import pytest

from reader.lds.com import COMError, parse_com
from sims.lds_build import build_ef_com


def test_cccd_com() -> None:
    raw = build_ef_com([1, 2, 3, 13, 14, 15])
    com = parse_com(raw)
    assert com.data_groups == (1, 2, 3, 13, 14, 15)
    assert com.tags == bytes([0x61, 0x75, 0x63, 0x6D, 0x6E, 0x6F])
    assert (com.lds_version, com.unicode_version) == ("0107", "040000")
    assert (com.lds_version_text, com.unicode_version_text) == ("1.7", "4.0.0")


def test_known_bytes() -> None:
    raw = bytes.fromhex("60185F0104303130375F36063034303030305C066175636D6E6F")
    assert build_ef_com([1, 2, 3, 13, 14, 15]) == raw
    assert parse_com(raw).data_groups == (1, 2, 3, 13, 14, 15)


def test_versions_optional() -> None:
    com = parse_com(bytes.fromhex("6004 5C02 6175".replace(" ", "")))
    assert com.lds_version is None and com.unicode_version_text is None and com.data_groups == (1, 2)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "60",
        "6100",
        "6000",  # wrong tag, no tag list
        "6003 5C01 99",  # unknown data-group tag
        "6004 5C02 6161",  # listed twice
        "6008 5F0102 3031 5C01 61",  # LDS version of 2 bytes
        "600A 5F0104 3031303A 5C01 61",  # non-digit version
        "6006 5C01 61 5C01 75",  # tag list repeated
        "6005 5C04 6175",  # truncated
    ],
)
def test_malformed(raw: str) -> None:
    with pytest.raises(COMError):
        parse_com(bytes.fromhex(raw.replace(" ", "")))
