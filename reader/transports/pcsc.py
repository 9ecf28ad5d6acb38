"""PC/SC transport through pyscard (pcsc-lite on Linux).

pyscard's shapes (``list[int]`` APDUs, ``(data, sw1, sw2)`` tuples, its exceptions) stay inside this
module; the rest of the code sees ``bytes`` and :mod:`reader.errors`.
"""

from __future__ import annotations

from typing import Any

from reader.errors import CardRemovedError, NoCardError, NoReaderError, ReaderLostError, TransportError

# PC/SC return codes (pcsc-lite pcsclite.h; PC/SC part 5) that mean the reader or the service is gone,
# not the card: the connection handle died with them.
_SERVICE_GONE = frozenset({
    0x80100003,  # SCARD_E_INVALID_HANDLE (pcscd restarted: our handle belongs to the old one)
    0x80100009,  # SCARD_E_UNKNOWN_READER
    0x80100017,  # SCARD_E_READER_UNAVAILABLE (reader unplugged)
    0x8010001D,  # SCARD_E_NO_SERVICE (pcscd not running)
    0x8010001E,  # SCARD_E_SERVICE_STOPPED
})  # fmt: skip


def _pcsc() -> Any:
    try:
        import smartcard.Exceptions
        import smartcard.pcsc.PCSCExceptions
        import smartcard.System
    except ImportError as exc:  # pragma: no cover - dependency is pinned
        raise NoReaderError("pyscard is not installed") from exc
    return smartcard


def _hresult(exc: BaseException) -> int:
    value = getattr(exc, "hresult", -1)
    return int(value) & 0xFFFFFFFF if isinstance(value, int) else -1


def _readers(sc: Any) -> list[Any]:
    """pyscard's reader list; both of its exception families (smartcard.Exceptions and
    smartcard.pcsc.PCSCExceptions — pcscd not running raises the latter) become :class:`NoReaderError`."""
    try:
        return list(sc.System.readers())
    except sc.pcsc.PCSCExceptions.EstablishContextException as exc:
        raise NoReaderError("the PC/SC service (pcscd) is not running") from exc
    except (sc.pcsc.PCSCExceptions.BaseSCardException, sc.Exceptions.SmartcardException) as exc:
        if _hresult(exc) in _SERVICE_GONE:
            raise NoReaderError("the PC/SC service (pcscd) is not running") from exc
        raise NoReaderError("PC/SC could not list readers") from exc


def list_readers() -> list[str]:
    """Names of the PC/SC readers; :class:`NoReaderError` when the PC/SC service is unreachable."""
    return [str(r) for r in _readers(_pcsc())]


class PCSCTransport:
    """One card in one PC/SC reader."""

    def __init__(self, reader_name: str, *, extended_length: bool = False) -> None:
        sc = _pcsc()
        self._sc = sc
        readers = {str(r): r for r in _readers(sc)}
        if reader_name not in readers:
            raise NoReaderError(f"no PC/SC reader named {reader_name!r}")
        self._name = reader_name
        self._extended = extended_length
        try:
            self._connection = readers[reader_name].createConnection()
        except sc.Exceptions.CardConnectionException as exc:  # the service went away just now
            raise NoReaderError("the PC/SC service (pcscd) is not running") from exc
        try:
            self._connection.connect()
        except sc.Exceptions.NoCardException as exc:
            self._release()
            raise NoCardError(f"no card on {reader_name!r}") from exc
        except sc.Exceptions.CardConnectionException as exc:
            self._release()
            if _hresult(exc) in _SERVICE_GONE:
                raise NoReaderError(f"the PC/SC service lost {reader_name!r}") from exc
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
            if _hresult(exc) in _SERVICE_GONE:
                raise ReaderLostError("the reader or the PC/SC service went away during the read") from exc
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
        self._release()

    def _release(self) -> None:
        """Release pyscard's PC/SC context now, quietly."""
        try:
            self._connection.release()
        except self._sc.Exceptions.CardConnectionException:
            # The service that gave the context is gone (pcscd stopped or restarted): nothing to release,
            # and pyscard's destructor must not try again and print a traceback.
            inner = getattr(self._connection, "component", self._connection)  # pyscard's decorator
            inner.hcontext = None


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
