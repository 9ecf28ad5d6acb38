"""The same reads through a real pcscd with the vpcd driver and pyscard."""

from __future__ import annotations

from typing import Any

import pytest

from reader.access.bac import perform_bac
from reader.errors import CardRemovedError, NoReaderError
from reader.filereader import FileReader
from reader.lds.files import EF_COM, dg
from reader.session import CardSession
from reader.transports.pcsc import PCSCTransport, list_readers

from .test_filereader import COM, DG2, KEY, _card

pytestmark = pytest.mark.pcsc


def test_bac_and_extended_read_through_pcscd(vpcd: Any) -> None:
    v = vpcd(_card())
    transport = v.transport()
    try:
        session = CardSession(transport)
        reader = FileReader(session)
        reader.select_application()
        session.start_secure_messaging(perform_bac(session, KEY))
        assert reader.read_ef(EF_COM) == COM
        assert reader.read_ef(dg(2)) == DG2
    finally:
        transport.close()


def test_card_removed_through_pcscd(vpcd: Any) -> None:
    v = vpcd(_card(), remove_after=4)  # SELECT, GET CHALLENGE, EXT AUTH, DG2 header; then gone
    transport = v.transport()
    try:
        session = CardSession(transport)
        reader = FileReader(session)
        reader.select_application()
        session.start_secure_messaging(perform_bac(session, KEY))
        with pytest.raises(CardRemovedError):
            reader.read_ef(dg(2))
    finally:
        transport.close()


def test_unknown_reader_is_a_typed_error() -> None:
    assert isinstance(list_readers(), list)
    with pytest.raises(NoReaderError):
        PCSCTransport("No Such Reader 99")
