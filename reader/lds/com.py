"""EF.COM: LDS version, Unicode version and the list of present data groups (ICAO 9303-10 §4.6.1).

``60 { 5F01 "aabb" (LDS version), 5F36 "aabbcc" (Unicode version), 5C <data-group tags> }``.  The tag list
is mandatory; the two versions are mandatory since LDS 1.7 but absent from some older documents, so they
are ``None`` when missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from reader import tlv
from reader.errors import ParseError, TLVError
from reader.lds.files import TAG_TO_DG

COM_TAG = 0x60
LDS_VERSION_TAG = 0x5F01
UNICODE_VERSION_TAG = 0x5F36
TAG_LIST_TAG = 0x5C


class COMError(ParseError):
    """EF.COM is malformed."""


@dataclass(frozen=True, slots=True)
class COM:
    """The content of EF.COM.  Versions as stored (``"0107"``, ``"040000"``)."""

    lds_version: str | None
    unicode_version: str | None
    tags: bytes
    data_groups: tuple[int, ...]

    @property
    def lds_version_text(self) -> str | None:
        """``"1.7"`` from ``"0107"``."""
        if self.lds_version is None:
            return None
        return f"{int(self.lds_version[:2])}.{int(self.lds_version[2:])}"

    @property
    def unicode_version_text(self) -> str | None:
        """``"4.0.0"`` from ``"040000"``."""
        v = self.unicode_version
        if v is None:
            return None
        return f"{int(v[:2])}.{int(v[2:4])}.{int(v[4:])}"


def _digits(obj: tlv.TLV | None, size: int, what: str) -> str | None:
    if obj is None:
        return None
    if len(obj.value) != size or not all(0x30 <= b <= 0x39 for b in obj.value):
        raise COMError(f"{what} must be {size} ASCII digits")
    return obj.value.decode("ascii")


def parse_com(raw: bytes) -> COM:
    """Parse EF.COM (ICAO 9303-10 §4.6.1); :class:`COMError` on any malformed or unknown content."""
    try:
        outer = tlv.decode(raw, expected_tag=COM_TAG)
        children = outer.children()
    except TLVError as exc:
        raise COMError(f"EF.COM structure: {exc}") from None
    by_tag: dict[int, tlv.TLV] = {}
    for child in children:
        if child.tag in by_tag:
            raise COMError(f"tag 0x{child.tag:X} repeated in EF.COM")
        by_tag[child.tag] = child
    tag_list = by_tag.get(TAG_LIST_TAG)
    if tag_list is None:
        raise COMError("EF.COM has no tag list (5C)")
    groups: list[int] = []
    for t in tag_list.value:
        if t not in TAG_TO_DG:
            raise COMError(f"unknown data-group tag 0x{t:02X} in EF.COM")
        if TAG_TO_DG[t] in groups:
            raise COMError(f"data-group tag 0x{t:02X} listed twice in EF.COM")
        groups.append(TAG_TO_DG[t])
    return COM(
        lds_version=_digits(by_tag.get(LDS_VERSION_TAG), 4, "LDS version"),
        unicode_version=_digits(by_tag.get(UNICODE_VERSION_TAG), 6, "Unicode version"),
        tags=tag_list.value,
        data_groups=tuple(groups),
    )
