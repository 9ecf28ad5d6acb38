"""The fault matrix through the real pcscd + vpcd (issue 12; docs/chip-faults.md).

A full PACE + PA + AA + CA read of the simulated CCCD, interrupted in every way the kiosk meets in the field:

* the card is removed at every APDU index (the vpcd bridge closes its socket instead of answering): the
  read must end with :class:`~reader.resume.ReadInterrupted` (a ``CardRemovedError``), and the card placed
  again must resume it to ``authentic``;
* pcscd is restarted in the middle of the read: :class:`~reader.errors.ReaderLostError`, then a new read
  (the card reconnects to the new pcscd) is ``authentic``;
* the reader disappears (pcscd stopped and gone): ``ReaderLostError`` during the read, then
  :class:`~reader.errors.NoReaderError` when the kiosk tries to open it again.

pcscd is one shared system service: run this only while holding ``/tmp/pcscd.lock``
(``flock /tmp/pcscd.lock python -m sims.pcsc_faults``); it always leaves pcscd running, started as
``scripts/ensure-system.sh`` starts it.  It prints the table of docs/chip-faults.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from reader.engine import ChipReader, Progress, ReadRequest
from reader.errors import NoCardError, NoReaderError, ReaderError
from reader.pki.trust import CSCAStore
from reader.resume import PartialRead, ReadInterrupted
from reader.transports import CallableTransport
from reader.transports.base import Transport, TransportWrapper
from reader.transports.pcsc import PCSCTransport, list_readers
from sims.personalize import CardImage, card_image
from sims.vpcd import VPCDBridge

READERS = ("Virtual PCD 00 00", "Virtual PCD 00 01")
PCSCD_SOCKET = "/run/pcscd/pcscd.comm"
_INS = {0xA4: "SELECT", 0xB0: "READ BINARY", 0xB1: "READ BINARY", 0x22: "MSE", 0x86: "GENERAL AUTHENTICATE",
        0x88: "INTERNAL AUTHENTICATE", 0x84: "GET CHALLENGE", 0x82: "EXTERNAL AUTHENTICATE"}  # fmt: skip


# --- pcscd, as scripts/ensure-system.sh runs it --------------------------------------------------------


def pcscd_pid() -> int | None:
    """The process id of the running pcscd (from /proc: the process named exactly ``pcscd``)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm", encoding="ascii", errors="replace") as f:
                    if f.read().strip() == "pcscd":
                        return int(entry)
            except OSError:
                continue
    return None


def stop_pcscd(timeout: float = 5.0) -> None:
    """Stop the running pcscd (by its process id) and wait until it is gone."""
    pid = pcscd_pid()
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pcscd_pid() is not None and time.monotonic() < deadline:
        time.sleep(0.02)


def start_pcscd(timeout: float = 5.0) -> None:
    """Start pcscd exactly as scripts/ensure-system.sh does (stale socket removed, the daemon forks)."""
    if pcscd_pid() is not None:
        return
    try:
        os.remove(PCSCD_SOCKET)
    except FileNotFoundError:
        pass
    pcscd = shutil.which("pcscd") or "/usr/sbin/pcscd"
    subprocess.run(["pcscd"], executable=pcscd, check=True)  # noqa: S607 - argv[0] as ensure-system.sh
    deadline = time.monotonic() + timeout
    while not os.path.exists(PCSCD_SOCKET) and time.monotonic() < deadline:
        time.sleep(0.02)


def restart_pcscd() -> None:
    stop_pcscd()
    start_pcscd()


# --- a card on a vpcd slot ------------------------------------------------------------------------------


class VPCDSlot:
    """One simulated card on one vpcd slot, served by a thread."""

    def __init__(self, image: CardImage, slot: int, remove_after: int | None = None) -> None:
        self.reader, self.slot = READERS[slot], slot
        self.bridge = VPCDBridge(image.new_card(), slot=slot, remove_after=remove_after)
        self.bridge.connect()
        self.thread = threading.Thread(target=self.bridge.serve_forever, daemon=True)
        self.thread.start()

    def open(self, timeout: float = 10.0) -> PCSCTransport:
        deadline = time.monotonic() + timeout
        while True:  # pcscd polls the driver for the card's presence
            try:
                return PCSCTransport(self.reader, extended_length=True)
            except (NoCardError, NoReaderError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.03)

    def remove(self) -> None:
        self.bridge.stop()
        self.thread.join(timeout=5)


@contextmanager
def card_on_slot(image: CardImage, slot: int, remove_after: int | None = None) -> Iterator[VPCDSlot]:
    s = VPCDSlot(image, slot, remove_after)
    try:
        yield s
    finally:
        s.remove()


class HookTransport(TransportWrapper):
    """Runs ``action`` just before the APDU with index ``at`` (0-based)."""

    def __init__(self, inner: Transport, at: int, action: Callable[[], None]) -> None:
        super().__init__(inner)
        self.at, self.action, self.count = at, action, 0

    def transmit(self, command: bytes) -> bytes:
        if self.count == self.at:
            self.action()
        self.count += 1
        return self.inner.transmit(command)


class _Labels(TransportWrapper):
    """Names each APDU of a read: the file it reads (known when the engine reports progress on it), else
    the step (access control, Active or Chip Authentication) and the instruction."""

    def __init__(self, inner: Transport) -> None:
        super().__init__(inner)
        self.phase = "connect"
        self.labels: list[str] = []
        self._pending: list[int] = []

    def on_progress(self, p: Progress) -> None:
        if p.file:
            for i in self._pending:
                self.labels[i] = f"reading {p.file}: {self.labels[i].rsplit(': ', 1)[-1]}"
        self._pending = []
        self.phase = p.phase.value

    def transmit(self, command: bytes) -> bytes:
        ins = _INS.get(command[1], f"INS {command[1]:02X}")
        step = {"access_control": "PACE" if command[1] in (0x22, 0x86) else "opening the application",
                "chip_auth": "Active Authentication" if command[1] == 0x88 else "Chip Authentication",
                }.get(self.phase, self.phase)  # fmt: skip
        self._pending.append(len(self.labels))
        self.labels.append(f"{step}: {ins}")
        return self.inner.transmit(command)


# --- the matrix ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaultRow:
    fault: str  # "card removed", "pcscd restarted", "reader gone", "none"
    at: int | None  # APDU index the fault hit (0-based)
    step: str  # what the reader was doing
    outcome: str  # the typed exception or the verdict
    then: str  # what the next attempt gave (resume, new read, opening the reader)
    ok: bool

    def markdown(self) -> str:
        at = "-" if self.at is None else str(self.at)
        mark = "✓" if self.ok else "✗"
        return f"| {self.fault} | {at} | {self.step} | `{self.outcome}` | {self.then} | {mark} |"


def request_for(image: CardImage) -> ReadRequest:
    store = CSCAStore()
    image.add_test_csca_to(store)
    return ReadRequest(bac_key=image.bac_key, can=image.profile.can, trust=store)


def apdu_labels(image: CardImage) -> list[str]:
    """The APDUs of an undisturbed read (in-process: the same sequence as through pcscd)."""
    labels = _Labels(CallableTransport(image.new_card().execute))
    ChipReader(labels, progress=labels.on_progress).read(request_for(image))
    return labels.labels


def _outcome(run: Callable[[], object]) -> tuple[str, object]:
    try:
        result = run()
    except ReaderError as exc:
        return type(exc).__name__, exc
    verdict = getattr(result, "verdict", None)
    return (verdict.value if verdict is not None else "?"), result


def removal_rows(
    image: CardImage, indexes: list[int], labels: list[str], resume: Callable[[int], bool] = lambda i: True
) -> list[FaultRow]:
    """The card removed before APDU ``i`` is answered; placed again, the read resumes (where ``resume(i)``).

    The two virtual readers take turns: pcscd must see a slot empty for a moment (sims.vpcd.ABSENT_GAP)
    before the next card is placed on it, and the other slot's case runs meanwhile."""
    rows = []
    request = request_for(image)
    for n, i in enumerate(indexes):
        slot = n % 2
        with card_on_slot(image, slot, remove_after=i) as s:
            transport = s.open()
            try:
                outcome, value = _outcome(lambda: ChipReader(transport).read(request))  # noqa: B023
            finally:
                transport.close()
        partial = value.partial if isinstance(value, ReadInterrupted) else None
        then = "-"
        if partial is not None and resume(i):
            then = _resume(image, 1 - slot, request, partial)
        step = labels[i] if i < len(labels) else "after the last APDU"
        if i >= len(labels):
            ok = (outcome, then) == ("authentic", "-")
        else:
            ok = outcome == "ReadInterrupted" and then in ("-", "resumed: authentic") and (
                then != "-" or not resume(i)
            )
        rows.append(FaultRow("card removed", i, step, outcome, then, ok))
    return rows


def _resume(image: CardImage, slot: int, request: ReadRequest, partial: PartialRead) -> str:
    with card_on_slot(image, slot) as s:
        transport = s.open()
        try:
            outcome, _ = _outcome(lambda: ChipReader(transport).read(request, resume=partial))
        finally:
            transport.close()
    return f"resumed: {outcome}"


def pcscd_rows(image: CardImage, at: int, labels: list[str]) -> list[FaultRow]:
    """pcscd restarted before APDU ``at``; then the reader disappearing (pcscd stopped) before ``at``."""
    request = request_for(image)
    rows = []
    try:
        with card_on_slot(image, 0) as s:
            transport = s.open()
            try:
                hooked = HookTransport(transport, at, restart_pcscd)
                outcome, _ = _outcome(lambda: ChipReader(hooked).read(request))
            finally:
                transport.close()
            again = s.open(timeout=15)  # the bridge reconnects to the new pcscd's vpcd driver
            try:
                then, _ = _outcome(lambda: ChipReader(again).read(request))
            finally:
                again.close()
        ok = (outcome, then) == ("ReaderLostError", "authentic")
        rows.append(FaultRow("pcscd restarted", at, labels[at], outcome, f"new read: {then}", ok))

        with card_on_slot(image, 1) as s:
            transport = s.open()
            try:
                hooked = HookTransport(transport, at, stop_pcscd)
                outcome, _ = _outcome(lambda: ChipReader(hooked).read(request))
            finally:
                transport.close()
            then, _ = _outcome(lambda: PCSCTransport(s.reader))
        ok = (outcome, then) == ("ReaderLostError", "NoReaderError")
        rows.append(FaultRow("reader gone (pcscd stopped)", at, labels[at], outcome, f"open: {then}", ok))
    finally:
        start_pcscd()
    return rows


def run_matrix(
    profile: str = "default", *, indexes: list[int] | None = None, pcscd_at: int | None = None,
    resume: Callable[[int], bool] = lambda i: True,
) -> list[FaultRow]:  # fmt: skip
    """Every row of the matrix; ``indexes``: the removal indexes (default: every APDU and one past);
    ``resume(i)``: whether the read interrupted at ``i`` is resumed on the card placed again."""
    image = card_image(profile)
    labels = apdu_labels(image)
    if indexes is None:
        indexes = list(range(len(labels) + 1))
    if pcscd_at is None:
        pcscd_at = next(i for i, label in enumerate(labels) if "DG2" in label)
    list_readers()  # NoReaderError now, not in the middle of the matrix
    return removal_rows(image, indexes, labels, resume) + pcscd_rows(image, pcscd_at, labels)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sims.pcsc_faults",
        description="The fault matrix through pcscd (run under `flock /tmp/pcscd.lock`).",
    )
    parser.add_argument("--profile", default="default")
    args = parser.parse_args(argv)
    t0 = time.monotonic()
    rows = run_matrix(args.profile)
    print("| fault | APDU index | what the reader was doing | outcome | next attempt | as expected |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(row.markdown())
    print(f"\n{len(rows)} cases, {sum(r.ok for r in rows)} as expected, {time.monotonic() - t0:.1f} s")
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
