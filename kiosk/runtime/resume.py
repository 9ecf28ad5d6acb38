"""The interrupted chip read of the current transaction, kept so the card placed again resumes it ("tag lost";
docs/chip-faults.md, "What the kiosk does").

When the person lifts the card off mid-read, :func:`kiosk.runtime.chip.read_chip` raises
:class:`kiosk.runtime.chip.ChipReadInterrupted` carrying the engine's :class:`reader.resume.PartialRead` (the
files read completely).  The effect runner keeps it here under the transaction's number and hands it to the
next read *of the same transaction* (``ChipReader.read(request, resume=...)``): the engine reads EF.COM and
EF.SOD again and keeps the data groups only when EF.SOD is byte for byte the one read before; another card is
read from the start (``RESUME_DIFFERENT_CARD``), and passive authentication and the anti-clone proofs always
run on the new session.

The pure flow knows nothing of it: :class:`kiosk.flow.effects.StartChipRead` only carries ``txn``.  What is
kept holds personal data (DG1, DG2 …): only in memory, one transaction at a time, never persisted, logged or
shown (``repr`` gives file names only); the transaction's :class:`kiosk.flow.effects.Wipe` — the end of every
transaction: done, the counter, a cancel, a timeout — forgets it, and a read of an older transaction that
ends after its wipe cannot bring it back.
"""

from __future__ import annotations

import threading

from reader.resume import PartialRead


class InterruptedReads:
    """At most one :class:`PartialRead`, of one transaction; thread-safe (reads run on the worker pool,
    wipes on the storage thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: tuple[int, PartialRead] | None = None
        self._wiped: int | None = None  # the newest transaction wiped so far

    def __repr__(self) -> str:
        with self._lock:
            held = self._held
        return "InterruptedReads(empty)" if held is None else f"InterruptedReads(txn={held[0]}, {held[1]!r})"

    def for_transaction(self, txn: int | None) -> PartialRead | None:
        """The interrupted read of transaction ``txn`` (``None``: nothing to resume — another transaction's
        is never given out)."""
        with self._lock:
            if txn is None or self._held is None or self._held[0] != txn:
                return None
            return self._held[1]

    def keep(self, txn: int | None, partial: PartialRead) -> bool:
        """Keep ``partial`` for the next read of ``txn``, in place of anything kept before; refused (False)
        for an unknown transaction, one already wiped, or one older than what is kept."""
        with self._lock:
            if txn is None or (self._wiped is not None and txn <= self._wiped):
                return False
            if self._held is not None and self._held[0] > txn:
                return False
            self._held = (txn, partial)
            return True

    def done(self, txn: int | None) -> None:
        """The read of ``txn`` completed: nothing of it is needed any more."""
        with self._lock:
            if self._held is not None and self._held[0] == txn:
                self._held = None

    def wipe(self, txn: int | None = None) -> None:
        """Transaction ``txn`` (and every older one) ended; ``None``: forget everything (closing)."""
        with self._lock:
            if txn is None:
                self._held = None
                return
            self._wiped = txn if self._wiped is None else max(self._wiped, txn)
            if self._held is not None and self._held[0] <= txn:
                self._held = None

    @property
    def empty(self) -> bool:
        with self._lock:
            return self._held is None
