"""Elementary files of the LDS1 application and the master file (ICAO 9303-10 §3.10, §4.6, table 42).

Each file has a file identifier (FID), a short file identifier (SFI) and, for data groups, the tag of the
outer data object.
"""

from __future__ import annotations

from dataclasses import dataclass

LDS1_AID = bytes.fromhex("A0000002471001")


@dataclass(frozen=True, slots=True)
class EFInfo:
    """Name (as used in dumps), FID, SFI and outer tag of one elementary file."""

    name: str
    fid: int
    sfi: int
    tag: int | None
    in_mf: bool = False  # EF.CardAccess, EF.CardSecurity, EF.ATR/INFO live in the master file

    def __repr__(self) -> str:
        return f"EF({self.name})"


EF_CARD_ACCESS = EFInfo("EF.CardAccess", 0x011C, 0x1C, None, in_mf=True)
EF_CARD_SECURITY = EFInfo("EF.CardSecurity", 0x011D, 0x1D, None, in_mf=True)
EF_COM = EFInfo("EF.COM", 0x011E, 0x1E, 0x60)
EF_SOD = EFInfo("EF.SOD", 0x011D, 0x1D, 0x77)

_DG_TAGS = {
    1: 0x61, 2: 0x75, 3: 0x63, 4: 0x76, 5: 0x65, 6: 0x66, 7: 0x67, 8: 0x68,
    9: 0x69, 10: 0x6A, 11: 0x6B, 12: 0x6C, 13: 0x6D, 14: 0x6E, 15: 0x6F, 16: 0x70,
}  # fmt: skip

DATA_GROUPS: dict[int, EFInfo] = {n: EFInfo(f"DG{n}", 0x0100 + n, n, tag) for n, tag in _DG_TAGS.items()}
TAG_TO_DG: dict[int, int] = {tag: n for n, tag in _DG_TAGS.items()}

BY_NAME: dict[str, EFInfo] = {ef.name: ef for ef in (EF_CARD_ACCESS, EF_COM, EF_SOD, *DATA_GROUPS.values())}


def dg(number: int) -> EFInfo:
    """The data group ``number`` (1–16)."""
    try:
        return DATA_GROUPS[number]
    except KeyError:
        raise ValueError(f"no data group {number}") from None
