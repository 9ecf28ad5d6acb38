"""Findings: facts about how a chip behaved that the report keeps but that decide nothing by themselves.

A finding never changes the verdict (only :func:`reader.report.compute_verdict` does, from passive
authentication and the anti-clone proofs); it tells an operator or an auditor that the read needed a
workaround or that an optional file was missing (issue 12, "card tolerance"; docs/chip-faults.md).

Codes are stable strings; ``subject`` names a file or a step, never personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reader.errors import ParseError
from reader.lds.dg14 import parse_dg14
from reader.lds.dg15 import parse_dg15
from reader.report import FileStatus

if TYPE_CHECKING:
    from reader.report import FileResult

# An optional file (EF.CardAccess, EF.SOD, DG14, DG15) the chip does not have or refused.
OPTIONAL_FILE_ABSENT = "OPTIONAL_FILE_ABSENT"
# EF.COM could not be read or parsed: the data groups to read came from EF.SOD (or the defaults).
EF_COM_MALFORMED = "EF_COM_MALFORMED"
# READ BINARY by short file identifier was refused; files are selected by FID for the rest of the session.
SFI_REFUSED = "SFI_REFUSED"
# The chip answered an error status outside secure messaging; the channel was opened again (same key).
SM_CHANNEL_REOPENED = "SM_CHANNEL_REOPENED"
# A secure-messaging response failed verification (SSC out of step); the file was read again on a fresh
# channel, once.
SM_RETRIED = "SM_RETRIED"
# The chip's DG15 key is an EC key but DG14 declares no ActiveAuthenticationInfo (ICAO 9303-11 §9.2.4).
AA_INFO_MISSING = "AA_INFO_MISSING"
# The card left the reader; the read went on from the last complete file after it was placed again.
READ_RESUMED = "READ_RESUMED"
# A card placed to resume a read was not the same card: the read started over with the new card's files.
RESUME_DIFFERENT_CARD = "RESUME_DIFFERENT_CARD"


@dataclass(frozen=True, slots=True)
class Finding:
    """One fact: a stable ``code``, the file or step it concerns, a short detail without personal data."""

    code: str
    subject: str | None = None
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "subject": self.subject, "detail": self.detail}


OPTIONAL_FILES = ("EF.CardAccess", "EF.SOD", "DG14", "DG15")


def optional_file_findings(files: Mapping[str, FileResult]) -> list[Finding]:
    """One ``OPTIONAL_FILE_ABSENT`` per optional file (EF.CardAccess, EF.SOD, DG14, DG15) not read."""

    out = []
    for name in OPTIONAL_FILES:
        f = files.get(name)
        if f is None or f.status is not FileStatus.READ:
            status = "not listed" if f is None else f.status.value
            out.append(Finding(OPTIONAL_FILE_ABSENT, name, status))
    return out


def aa_info_findings(raw: Mapping[str, bytes]) -> list[Finding]:
    """``AA_INFO_MISSING`` when DG15 holds an EC key and DG14 declares no ActiveAuthenticationInfo: ICAO
    9303-11 §9.2.4 requires it (the signature algorithm); the reader then tries the usual hashes."""

    if "DG15" not in raw:
        return []
    try:
        if parse_dg15(raw["DG15"]).key_type != "EC":
            return []
    except ParseError:
        return []
    try:
        declared = bool(parse_dg14(raw["DG14"]).aa_infos) if "DG14" in raw else False
    except ParseError:
        declared = False
    return [] if declared else [Finding(AA_INFO_MISSING, "DG14", "EC Active Authentication key")]
