"""File reading against the simulated card OS: SFI/FID, extended length, fallbacks, B1, chunk sizes."""

from __future__ import annotations

import pytest

from reader import tlv
from reader.access.bac import BACKeyInput, perform_bac
from reader.apdu import CommandAPDU, ResponseAPDU
from reader.errors import CardRemovedError, FileNotFoundOnCard, ProtocolError, SecurityStatusNotSatisfied
from reader.filereader import FileReader, chunk_for_limit, wrapped_response_length
from reader.lds.files import EF_CARD_ACCESS, EF_COM, dg
from reader.session import CardSession
from reader.transports import CallableTransport
from reader.transports.faults import FaultyTransport
from sims.card import Access, CardBehaviour, CardOS

KEY = BACKeyInput.from_cccd("079303001234", "030615", "280615")


def _file(tag: int, size: int) -> bytes:
    body = bytes((i * 7 + 3) & 0xFF for i in range(size))
    return tlv.encode(tag, body)


DG2 = _file(0x75, 18_000)
BIG = _file(0x75, 70_000)  # beyond 32767: needs READ BINARY B1
COM = bytes.fromhex("60145F0104303130365F36063034303030305C026175")


def _card(behaviour: CardBehaviour | None = None, dg2: bytes = DG2) -> CardOS:
    return CardOS(
        {"EF.CardAccess": bytes.fromhex("3100")},
        {"EF.COM": COM, "DG2": dg2},
        bac_key=KEY,
        behaviour=behaviour,
        refused={"DG3": Access.TERMINAL_AUTHENTICATION},
    )


def _open(card: CardOS, *, extended: bool = True, sm: bool = True) -> CardSession:
    session = CardSession(CallableTransport(card.execute, extended_length=extended))
    FileReader(session).select_application()
    if sm:
        session.start_secure_messaging(perform_bac(session, KEY))
    return session


def test_extended_read_of_dg2_is_few_apdus() -> None:
    card = _card()
    session = _open(card)
    before = session.stats.apdus
    assert FileReader(session).read_ef(dg(2)) == DG2
    assert session.stats.apdus - before <= 3  # header + one extended read


@pytest.mark.parametrize("by_sfi", [True, False])
def test_short_length_reader_reads_whole_file(by_sfi: bool) -> None:
    session = _open(_card(), extended=False)
    assert FileReader(session).read_ef(dg(2), by_sfi=by_sfi) == DG2


def test_card_without_extended_length_falls_back() -> None:
    session = _open(_card(CardBehaviour(extended_length=False)))
    reader = FileReader(session)
    assert reader.read_ef(dg(2)) == DG2
    assert reader.current_limit == 256


def test_card_with_small_buffer_walks_the_ladder() -> None:
    session = _open(_card(CardBehaviour(max_response=200)))
    reader = FileReader(session)
    assert reader.read_ef(dg(2)) == DG2
    assert reader.current_limit == 192


def test_offsets_above_32767_use_b1() -> None:
    card = _card(dg2=BIG)
    session = _open(card)
    reader = FileReader(session, ladder=(4096,))
    assert reader.read_ef(dg(2)) == BIG
    assert any(e.ins == 0xB1 for e in session.stats.log)


def test_plain_read_of_card_access_without_selecting_mf() -> None:
    session = CardSession(CallableTransport(_card(CardBehaviour(select_mf_quirk=True)).execute))
    assert FileReader(session).read_ef(EF_CARD_ACCESS) == bytes.fromhex("3100")


def test_refused_and_absent_files_are_typed() -> None:
    session = _open(_card())
    reader = FileReader(session)
    with pytest.raises(SecurityStatusNotSatisfied):
        reader.read_ef(dg(3))
    with pytest.raises(FileNotFoundOnCard):
        reader.read_ef(dg(11))
    assert reader.read_ef(EF_COM) == COM  # the session survives refusals


def test_lds_files_need_secure_messaging() -> None:
    session = _open(_card(), sm=False)
    with pytest.raises(SecurityStatusNotSatisfied):
        FileReader(session).read_ef(EF_COM)


def test_card_removed_mid_read_raises() -> None:
    card = _card()
    transport = FaultyTransport(CallableTransport(card.execute, extended_length=False), remove_after=8)
    session = CardSession(transport)
    FileReader(session).select_application()
    session.start_secure_messaging(perform_bac(session, KEY))
    with pytest.raises(CardRemovedError):
        FileReader(session).read_ef(dg(2))


@pytest.mark.parametrize("block", [8, 16])
@pytest.mark.parametrize("limit", [65535, 4096, 256, 224, 192, 128])
def test_chunks_fill_the_last_cipher_block(block: int, limit: int) -> None:
    n = chunk_for_limit(limit, block)
    assert (n + 1) % block == 0
    assert wrapped_response_length(n, block) <= limit
    assert wrapped_response_length(n + block, block) > limit


def test_get_response_and_wrong_le_are_handled() -> None:
    """A reader that splits responses (61xx) and a card that corrects Le (6Cxx)."""
    card = _card()
    pending: list[bytes] = []

    def chatty(raw: bytes) -> bytes:
        cmd = CommandAPDU.from_bytes(raw)
        if cmd.ins == 0xC0:
            out, pending[:] = pending[0][: cmd.ne], [pending[0][cmd.ne :]]
            return out + (bytes([0x61, min(len(pending[0]), 255)]) if pending[0] else b"\x90\x00")
        if cmd.ins == 0x84 and cmd.ne != 8:
            return b"\x6c\x08"
        resp = ResponseAPDU.from_bytes(card.execute(raw))
        if len(resp.data) > 100:
            pending[:] = [resp.data[100:]]
            return resp.data[:100] + bytes([0x61, min(len(pending[0]), 255)])
        return resp.to_bytes()

    session = CardSession(CallableTransport(chatty, extended_length=False))
    FileReader(session).select_application()
    assert len(session.send(CommandAPDU(0x00, 0x84, 0x00, 0x00, ne=4), "GET CHALLENGE")) == 8
    session.start_secure_messaging(perform_bac(session, KEY))
    assert FileReader(session).read_ef(dg(2)) == DG2


def test_a_card_claiming_an_absurd_file_size_is_refused_at_once() -> None:
    """A hostile card announcing a 16 MiB DG2 (and willing to stream it) must not keep the reader busy."""
    huge_header = bytes([0x75, 0x84]) + (16 << 20).to_bytes(4, "big") + bytes(200)
    session = _open(_card(dg2=huge_header))
    before = session.stats.apdus
    with pytest.raises(ProtocolError, match="more than any ID card file"):
        FileReader(session).read_ef(dg(2))
    assert session.stats.apdus - before == 1  # only the header was read
