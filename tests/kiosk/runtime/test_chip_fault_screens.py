"""The kiosk's screen after each fault of the pcscd fault matrix (docs/chip-faults.md): the typed reader
error through kiosk.runtime.chip (the kind and exit code `cccd read` reports) and the flow table's next state.

Through the real pcscd, under ``flock /tmp/pcscd.lock``; pcscd is left running (sims.pcsc_faults)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kiosk.flow.model import Reason, State
from kiosk.runtime.chip import ChipReadError, open_transport, reaching_the_card, read_with_transport
from reader.pki.trust import CSCAStore
from reader.transports.base import Transport
from sims.pcsc_faults import HookTransport, card_on_slot, restart_pcscd, start_pcscd, stop_pcscd
from sims.personalize import card_image
from tests.conftest import require_pcscd
from tests.kiosk.flow.helpers import read_failed, walk_to

pytestmark = pytest.mark.pcsc
DG2_AT = 14  # an APDU of the DG2 read (docs/chip-faults.md)


def _kind(slot: int, wrap: Callable[[Transport], Transport], remove_after: int | None = None) -> str:
    image = card_image("default")
    store = CSCAStore()
    image.add_test_csca_to(store)
    with card_on_slot(image, slot, remove_after) as s:
        transport = wrap(s.open())
        with pytest.raises(ChipReadError) as info:
            read_with_transport(transport, image.bac_key, store, [], can=image.profile.can)
    return info.value.kind


def test_card_removed_mid_read_asks_to_place_it_again() -> None:
    require_pcscd()
    kind = _kind(0, lambda t: t, remove_after=DG2_AT)
    assert kind == "card_removed"
    w = walk_to(State.READING)(read_failed(kind))
    assert w.at() is State.PLACE_CARD and w.s.hint == "place_card.again"


def test_pcscd_restarted_mid_read_asks_to_place_the_card_again() -> None:
    require_pcscd()
    try:
        kind = _kind(1, lambda t: HookTransport(t, DG2_AT, restart_pcscd))
    finally:
        start_pcscd()
    assert kind == "transport"
    w = walk_to(State.READING)(read_failed(kind))
    assert w.at() is State.PLACE_CARD and w.s.hint == "place_card.again"


def test_reader_gone_sends_the_citizen_to_the_counter() -> None:
    require_pcscd()
    try:
        kind = _kind(0, lambda t: HookTransport(t, DG2_AT, stop_pcscd))
        assert kind == "transport"  # during the read
        with pytest.raises(ChipReadError) as info, reaching_the_card():
            open_transport("Virtual PCD 00 00")  # the kiosk trying again: no PC/SC service, no reader
    finally:
        start_pcscd()
    assert info.value.kind == "no_reader" and info.value.exit_code == 4
    w = walk_to(State.READING)(read_failed(info.value.kind))
    assert w.at() is State.FALLBACK and w.s.fallback is Reason.CHIP_UNREADABLE
