"""Resuming a read after the card left the reader ("tag lost"; issue 12, docs/chip-faults.md).

When the card leaves the field in the middle of a read, :meth:`reader.engine.ChipReader.read` raises
:class:`ReadInterrupted` — a :class:`~reader.errors.CardRemovedError`, so every caller that handles a
removed card keeps working — carrying a :class:`PartialRead`: the files read *completely* so far.  Once the
card is placed again, ``ChipReader(new_transport).read(request, resume=exc.partial)`` opens the chip again
(access control cannot be resumed: the session keys died with the field), reads EF.COM and EF.SOD again
and, when EF.SOD is byte-for-byte the one read before (the same card), skips every data group already
complete.  A different card starts the read over (finding ``RESUME_DIFFERENT_CARD``).

Passive authentication and the anti-clone proofs always run on the resumed session: nothing read before
the interruption is trusted more than anything read after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reader.errors import CardRemovedError
from reader.findings import Finding


@dataclass(frozen=True)
class PartialRead:
    """The complete files of an interrupted read (by EF name) and the findings so far.

    Holds personal data (DG1, DG2 …): never logged; ``repr`` shows file names only.
    """

    raw: dict[str, bytes] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()

    def __repr__(self) -> str:
        return f"PartialRead(files={sorted(self.raw)})"

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(sorted(self.raw))

    def same_card(self, sod: bytes | None) -> bool | None:
        """Whether the card whose EF.SOD is ``sod`` is the one read before the interruption: ``None`` when
        that cannot be told (EF.SOD was not read completely before, or is not read now)."""
        before = self.raw.get("EF.SOD")
        if sod is None or before is None:
            return None
        return before == sod

    def reusable_with(self, sod: bytes | None) -> dict[str, bytes]:
        """The data groups that may be kept for a card whose EF.SOD is ``sod``: all of them when the SOD
        is the one read before the interruption, none otherwise."""
        if not self.same_card(sod):
            return {}
        return {name: data for name, data in self.raw.items() if name.startswith("DG")}


class ReadInterrupted(CardRemovedError):
    """The card left the reader during the read; ``partial`` lets a new session resume it."""

    def __init__(
        self, partial: PartialRead, message: str = "the card left the reader during the read"
    ) -> None:
        super().__init__(message)
        self.partial = partial
