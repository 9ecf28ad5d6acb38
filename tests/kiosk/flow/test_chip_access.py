"""The flow's side of PACE: the chip read carries the CAN (the ID's last 6 digits, cccd-chip.md §3), and a
CAN the chip rejects sends the person back to key entry at once (other expiry candidates cannot help)."""

from __future__ import annotations

from kiosk.flow import effects as fx
from kiosk.flow import events as ev
from kiosk.flow.model import Reason, State
from kiosk.profiles import load_profile
from tests.kiosk.flow.helpers import QR, card, read_failed, walk_to


def test_the_read_carries_the_can_and_hides_it() -> None:
    w = walk_to(State.READING)
    assert w.s.key is not None
    read = next(e for e in w.effects if isinstance(e, fx.StartChipRead))
    assert read.can == w.s.key.document_number[-6:] and len(read.can) == 6
    assert read.can not in repr(read)


def test_wrong_can_skips_the_expiry_candidates_and_is_bounded() -> None:
    w = walk_to(State.READING)
    w(read_failed("wrong_can"))
    assert w.at() is State.KEY_ENTRY and w.s.hint == "key_entry.check_key"
    reads = [e for e in w.effects if isinstance(e, fx.StartChipRead)]
    assert len(reads) == 1  # no second expiry candidate was tried
    rounds = w.c.limits.wrong_key_rounds
    for _ in range(rounds - 1):
        w(ev.ScanQR(QR), card, read_failed("wrong_can"))
    assert w.at() is State.FALLBACK and w.s.fallback is Reason.ACCESS_DENIED


def test_bank_refuses_a_read_downgraded_from_pace() -> None:
    bank, lodging = load_profile("bank").chip, load_profile("lodging").chip
    assert not bank.accept_downgraded_access and lodging.accept_downgraded_access
    assert bank.accepts("authentic", (), None)
    assert not bank.accepts("authentic", ("ACCESS_DOWNGRADED",), None)
    assert lodging.accepts("authentic", ("ACCESS_DOWNGRADED",), None)
    assert lodging.accepts("inconclusive", ("ACCESS_DOWNGRADED", "NO_ANTICLONE_PROOF"), None)
