"""The flow's part in resuming a read after the card left the reader (docs/chip-faults.md): each chip read
names its transaction, so the runner resumes only a read of the same transaction; the person sees nothing
but the usual "place the card again"."""

from __future__ import annotations

from kiosk.flow import events as ev
from kiosk.flow.effects import StartChipRead
from kiosk.flow.model import State
from tests.kiosk.flow.helpers import QR, Walk, card, read_failed, taken, timeout, to_key_entry, walk_to


def _reads(w: Walk) -> list[StartChipRead]:
    return [e for e in w.effects if isinstance(e, StartChipRead)]


def test_every_read_of_a_transaction_names_it() -> None:
    w = walk_to(State.READING)
    txn = w.s.txn
    w(read_failed("card_removed"))
    assert w.at() is State.PLACE_CARD and w.s.hint == "place_card.again"  # the usual guidance only
    w(card)
    first, again = _reads(w)
    assert first.txn == again.txn == txn
    assert "txn=" in repr(again) and "key hidden" in repr(again)


def test_the_next_transactions_reads_name_the_next_one() -> None:
    w = walk_to(State.READING)
    txn = w.s.txn
    w(read_failed("card_removed"), ev.Cancel(), taken, timeout)  # cancelled, card taken, goodbye over
    assert w.at() is State.ATTRACT
    to_key_entry(w)(ev.ScanQR(QR), card)
    assert [r.txn for r in _reads(w)] == [txn, txn + 1]
