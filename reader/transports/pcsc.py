"""PC/SC transport through pyscard (pcsc-lite on Linux).

pyscard's shapes (``list[int]`` APDUs, ``(data, sw1, sw2)`` tuples, its exceptions) stay inside this
module; the rest of the code sees ``bytes`` and :mod:`reader.errors`.
"""

from __future__ import annotations

from typing import Any

from reader.errors import CardRemovedError, NoCardError, NoReaderError, TransportError


def _pcsc() -> Any:
    try:
        import smartcard.Exceptions
        import smartcard.pcsc.PCSCExceptions  # EstablishContextException lives here, not in Exceptions
        import smartcard.System
    except ImportError as exc:  # pragma: no cover - dependency is pinned
        raise NoReaderError("pyscard is not installed") from exc
    return smartcard


def list_readers() -> list[str]:
    """Names of the PC/SC readers; :class:`NoReaderError` when the PC/SC service is unreachable."""
    sc = _pcsc()
    try:
        return [str(r) for r in sc.System.readers()]
    except sc.pcsc.PCSCExceptions.EstablishContextException as exc:
        raise NoReaderError("the PC/SC service (pcscd) is not running") from exc
    except sc.Exceptions.ListReadersException as exc:
        raise NoReaderError("PC/SC could not list readers") from exc


class PCSCTransport:
    """One card in one PC/SC reader."""

    def __init__(self, reader_name: str, *, extended_length: bool = False) -> None:
        sc = _pcsc()
        self._sc = sc
        try:
            readers = {str(r): r for r in sc.System.readers()}
        except sc.pcsc.PCSCExceptions.EstablishContextException as exc:
            raise NoReaderError("the PC/SC service (pcscd) is not running") from exc
        if reader_name not in readers:
            raise NoReaderError(f"no PC/SC reader named {reader_name!r}")
        self._name = reader_name
        self._extended = extended_length
        self._connection = readers[reader_name].createConnection()
        try:
            self._connection.connect()
        except sc.Exceptions.NoCardException as exc:
            raise NoCardError(f"no card on {reader_name!r}") from exc
        except sc.Exceptions.CardConnectionException as exc:
            raise NoCardError(f"could not connect to the card on {reader_name!r}") from exc
        self._closed = False

    @property
    def name(self) -> str:
        return self._name

    @property
    def supports_extended_length(self) -> bool:
        return self._extended

    @property
    def atr(self) -> bytes:
        return bytes(self._connection.getATR())

    def transmit(self, command: bytes) -> bytes:
        if self._closed:
            raise TransportError("transport is closed")
        try:
            data, sw1, sw2 = self._connection.transmit(list(command))
        except self._sc.Exceptions.CardConnectionException as exc:
            raise CardRemovedError("the card left the reader during the read") from exc
        return bytes(data) + bytes([sw1, sw2])

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._connection.disconnect()
        except self._sc.Exceptions.CardConnectionException:
            pass  # card already gone


def wait_for_card(reader_name: str, *, present: bool, timeout: float) -> bool:
    """Wait until pcscd reports a card in (``present=True``) or out of ``reader_name``; False on timeout.

    Uses ``SCardGetStatusChange`` (PC/SC part 5 §3.1.4) so the answer is pcscd's own view — e.g. the kiosk
    waiting for the citizen to take the card, or a test making sure a card has really left the reader
    before the next one is placed.
    """
    import time

    _pcsc()
    from smartcard import scard

    hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hr != scard.SCARD_S_SUCCESS:
        raise NoReaderError("the PC/SC service (pcscd) is not running")
    try:
        deadline = time.monotonic() + timeout
        known = scard.SCARD_STATE_UNAWARE
        while True:
            remaining_ms = max(0, int((deadline - time.monotonic()) * 1000))
            hr, states = scard.SCardGetStatusChange(ctx, min(remaining_ms, 500), [(reader_name, known)])
            if hr == scard.SCARD_S_SUCCESS:
                _, known, _ = states[0]
                if present == bool(known & scard.SCARD_STATE_PRESENT) and not known & scard.SCARD_STATE_MUTE:
                    return True
                known &= ~scard.SCARD_STATE_CHANGED
            elif hr not in (scard.SCARD_E_TIMEOUT,):
                raise NoReaderError(f"PC/SC could not watch {reader_name!r}")
            if time.monotonic() >= deadline:
                return False
    finally:
        scard.SCardReleaseContext(ctx)
