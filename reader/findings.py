"""Findings: facts about how a chip behaved that the report keeps but that decide nothing by themselves.

A finding never changes the verdict (only :func:`reader.report.compute_verdict` does, from passive
authentication and the anti-clone proofs); it tells an operator or an auditor that the read needed a
workaround or that an optional file was missing (issue 12, "card tolerance"; docs/chip-faults.md).

Codes are stable strings; ``subject`` names a file or a step, never personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
