"""Fixtures for every test: the ICAO/BSI worked examples (tests/vectors/icao9303.json, sources in
tests/vectors/SOURCES.md) and a simulated card on pcscd's virtual reader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

#: Fixtures shared across packages (record, delivery and receiver tests in kiosk/ and cccd/).
pytest_plugins = ("tests.fixtures.delivery",)

REPO = Path(__file__).resolve().parents[1]
VECTORS_PATH = REPO / "tests" / "vectors" / "icao9303.json"


@pytest.fixture(scope="session")
def vectors() -> dict[str, Any]:
    """The known-answer values.  External truth: a missing file fails the test, it never skips it."""
    if not VECTORS_PATH.is_file():
        pytest.fail(f"the ICAO/BSI vectors are missing from the repository: {VECTORS_PATH}")
    data: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    return data


# --- a simulated card on pcscd's virtual reader (vpcd) ---------------------------------------------

VPCD_READER = "Virtual PCD 00 00"


def require_pcscd() -> None:
    """Fail (not skip) when pcscd with vpcd is missing: `make test` installs and starts both."""
    from reader.errors import NoReaderError
    from reader.transports.pcsc import list_readers

    try:
        names = list_readers()
    except NoReaderError as exc:
        pytest.fail(f"pcscd is not reachable ({exc}); run `make test`, which starts it")
    if VPCD_READER not in names:
        pytest.fail(f"the vpcd virtual reader is missing (readers: {names}); run `make test`")


class VPCDCard:
    """Runs a card on vpcd slot 0 in a background thread for the duration of a test."""

    def __init__(self, card: Any, remove_after: int | None = None) -> None:
        import threading

        from sims.vpcd import VPCDBridge

        self.bridge = VPCDBridge(card, slot=0, remove_after=remove_after)
        self.bridge.connect()
        self.thread = threading.Thread(target=self.bridge.serve_forever, daemon=True)
        self.thread.start()

    def transport(self, *, extended_length: bool = True, timeout: float = 10.0) -> Any:
        import time

        from reader.errors import NoCardError
        from reader.transports.pcsc import PCSCTransport

        deadline = time.monotonic() + timeout
        while True:  # pcscd polls the driver for the card's presence
            try:
                return PCSCTransport(VPCD_READER, extended_length=extended_length)
            except NoCardError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        """Take the card off the reader, and wait until pcscd has seen it go: a card placed right after
        would otherwise look like the same card still present (and unpowered, after a removal test)."""
        from reader.transports.pcsc import wait_for_card

        self.bridge.stop()
        self.thread.join(timeout=5)
        wait_for_card(VPCD_READER, present=False, timeout=5)


@pytest.fixture
def vpcd() -> Any:
    """Factory: ``vpcd(card)`` puts ``card`` on the virtual reader; removed after the test."""
    require_pcscd()
    started: list[VPCDCard] = []

    def start(card: Any, remove_after: int | None = None) -> VPCDCard:
        v = VPCDCard(card, remove_after)
        started.append(v)
        return v

    yield start
    for v in started:
        v.stop()
