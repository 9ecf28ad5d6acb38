"""The same reads through a real pcscd with the vpcd driver and pyscard."""

from __future__ import annotations

from typing import Any

import pytest

from reader.access.bac import perform_bac
from reader.access.control import AccessMode
from reader.engine import ChipReader, ReadRequest
from reader.errors import CardRemovedError, NoReaderError
from reader.filereader import FileReader
from reader.lds.files import EF_COM, dg
from reader.pki.trust import CSCAStore
from reader.report import Verdict
from reader.session import CardSession
from reader.transports.pcsc import PCSCTransport, list_readers
from sims.people import list_profiles
from sims.personalize import card_image
from tests.helpers.chip import expected_verdict
from tests.reader.test_filereader import COM, DG2, KEY, _card

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


@pytest.mark.parametrize("name", list_profiles())
def test_every_profile_full_read_through_pcscd(vpcd: Any, name: str) -> None:
    """The engine's whole CCCD path through pcscd: PACE with the CAN, files, PA, AA, CA."""
    image = card_image(name)
    store = CSCAStore()
    image.add_test_csca_to(store)
    transport = vpcd(image.new_card()).transport()
    request = ReadRequest(bac_key=image.bac_key, can=image.profile.can, trust=store)
    result = ChipReader(transport).read(request)
    transport.close()
    assert result.access.method == "PACE" and not result.access.downgraded
    assert (result.verdict, result.reasons) == expected_verdict(image.lds_files)
    assert result.raw.get("DG2") == image.lds_files.get("DG2")  # none on a card for under-6s


def test_bac_only_chip_and_a_clone_through_pcscd(vpcd: Any) -> None:
    image = card_image("elderly")  # SELECT MF answers 6D00 on this card
    store = CSCAStore()
    image.add_test_csca_to(store)
    request = ReadRequest(bac_key=image.bac_key, can=image.profile.can, trust=store, access=AccessMode.BAC)
    genuine = vpcd(image.new_card())
    transport = genuine.transport(extended_length=False)
    result = ChipReader(transport).read(request)
    transport.close()
    genuine.stop()  # the card leaves the reader before the clone is placed
    assert result.access.method == "BAC" and result.access.downgrade_reason == "BAC_REQUESTED"
    assert result.verdict is Verdict.AUTHENTIC
    transport = vpcd(image.new_card(clone="wrong-keys")).transport()
    clone = ChipReader(transport).read(ReadRequest(bac_key=image.bac_key, can=image.profile.can, trust=store))
    transport.close()
    assert clone.verdict is Verdict.NOT_AUTHENTIC and "CA_FAILED" in clone.reasons
