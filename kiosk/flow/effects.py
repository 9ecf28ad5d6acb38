"""Effect requests: what the pure machine asks the outside world to do.

The machine never performs them; :class:`kiosk.runtime.runner.EffectRunner` does, on worker threads, and
feeds the results back as events carrying the same ``op`` token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kiosk.flow.outcomes import ChipOutcome, FaceCapture, FaceDecision
from reader.access.bac import BACKeyInput


class Effect:
    """Base class of every effect request."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class StartTimer(Effect):
    """Post ``TimerExpired(token)`` after ``seconds``; a newer timer makes older ones stale."""

    token: int
    seconds: float


@dataclass(frozen=True, slots=True)
class Speak(Effect):
    """Read a text aloud (accessibility; the consent text is always read)."""

    text_key: str
    language: str


@dataclass(frozen=True, slots=True)
class SaveConsent(Effect):
    """Store the consent record (given or refused) against the exact text shown."""

    txn: int
    language: str
    choices: frozenset[str]
    given: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class StartQRScan(Effect):
    """Look for the card's QR code with the camera; post ``ScanQR(text)`` when one is read.  ``on_reader``:
    the camera is the reader's own (it sees the card lying on the reader) — wait for a card on the reader,
    post ``CardPresent(op)``, then look."""

    op: int
    on_reader: bool = False


@dataclass(frozen=True, slots=True)
class WaitForCard(Effect):
    """Post ``CardPresent(op)`` once a card is on the reader."""

    op: int


@dataclass(frozen=True, slots=True)
class WaitForCardRemoval(Effect):
    """Post ``CardTaken(op)`` once no card is on the reader (at once if there is none); runs until
    cancelled."""

    op: int


@dataclass(frozen=True, slots=True)
class StartChipRead(Effect):
    """Read the chip: PACE with ``can`` when the chip offers it, else BAC with this key (expiry candidate
    ``candidate`` of ``candidates``).  ``txn``: the transaction — a read of the same transaction that the
    card's removal interrupted is resumed by the runner (docs/chip-faults.md; ``None``: never resumed)."""

    op: int
    key: BACKeyInput
    candidate: int
    candidates: int
    can: str | None = None
    txn: int | None = None

    def __repr__(self) -> str:
        return (f"StartChipRead(op={self.op}, txn={self.txn}, "
                f"candidate={self.candidate + 1}/{self.candidates}, <key hidden>)")  # fmt: skip


@dataclass(frozen=True, slots=True)
class StartFaceCapture(Effect):
    op: int
    attempt: int
    chip_photo: bytes

    def __repr__(self) -> str:
        return f"StartFaceCapture(op={self.op}, attempt={self.attempt}, <photo hidden>)"


@dataclass(frozen=True, slots=True)
class StartFaceMatch(Effect):
    op: int
    capture: FaceCapture
    chip_photo: bytes

    def __repr__(self) -> str:
        return f"StartFaceMatch(op={self.op}, <images hidden>)"


@dataclass(frozen=True, slots=True)
class CancelOperation(Effect):
    """Abandon the running read or capture (its late result is ignored anyway)."""

    op: int


@dataclass(frozen=True, slots=True)
class PersistAndDeliver(Effect):
    """Build, sign and store the verification record with its outbox rows; wake the relay."""

    op: int
    txn: int
    chip: ChipOutcome
    capture: FaceCapture | None
    face: FaceDecision | None
    face_attempts: int
    service: tuple[tuple[str, str], ...]
    flow_reasons: tuple[str, ...]
    started_at: datetime
    completed_at: datetime

    def __repr__(self) -> str:
        return f"PersistAndDeliver(op={self.op}, txn={self.txn}, reasons={self.flow_reasons}, <data hidden>)"


@dataclass(frozen=True, slots=True)
class IssueQueueNumber(Effect):
    """Issue the next hospital queue number of ``department`` on the local ``day`` (durably, atomically
    across kiosks sharing the database); post ``QueueNumberIssued`` or ``QueueNumberFailed``."""

    op: int
    department: str
    day: date


@dataclass(frozen=True, slots=True)
class CheckInsurance(Effect):
    """Ask the BHXH gateway for the verified person's health insurance (by CCCD number, name and birth
    date from ``chip``), within the client's time budget; post ``InsuranceChecked(op, answer)``
    (docs/insurance.md)."""

    op: int
    chip: ChipOutcome

    def __repr__(self) -> str:
        return f"CheckInsurance(op={self.op}, <identity hidden>)"


@dataclass(frozen=True, slots=True)
class Audit(Effect):
    """An audit entry for an outcome that stores nothing else (refusal, abandonment before a read, a card
    left on the reader)."""

    event: str
    reason: str


@dataclass(frozen=True, slots=True)
class Wipe(Effect):
    """Forget everything of transaction ``txn``: key, chip data, images, consent handle; stop its
    operations up to token ``op`` (a later one — the wait for the card to be taken — outlives the wipe;
    ``None``: every operation)."""

    txn: int
    op: int | None = None
