"""Typed errors of the chip engine.

The hierarchy follows the layering in ``docs/design.md``: transport failures, card status words,
protocol violations, one opaque secure-messaging failure, access denial and parse errors.  The outcome of a
*security check* (passive authentication, chip authentication, ...) is a value in the report, never one of
these exceptions.  No message here ever contains key material, MRZ data or data-group contents.
"""

from __future__ import annotations

from reader.sw import describe


class ReaderError(Exception):
    """Base class of every error raised by :mod:`reader`."""


# --- transport -----------------------------------------------------------------------------------------


class TransportError(ReaderError):
    """The link to the card failed (reader unplugged, I/O error, timeout)."""


class NoReaderError(TransportError):
    """No reader is connected, or the named reader does not exist."""


class NoCardError(TransportError):
    """The reader has no card in its field."""


class CardRemovedError(TransportError):
    """The card left the field during the session."""


class ReaderLostError(TransportError):
    """The reader or the PC/SC service went away during the session (reader unplugged, pcscd stopped or
    restarted): the card may still lie there, but this connection to it is gone."""


# --- card answers --------------------------------------------------------------------------------------


class CardStatusError(ReaderError):
    """The card answered a command with a non-success status word (ISO 7816-4 §5.6)."""

    def __init__(self, sw: int, command: str = "") -> None:

        self.sw = sw
        self.command = command
        where = f" to {command}" if command else ""
        super().__init__(f"card answered {sw:04X}{where}: {describe(sw)}")


class FileNotFoundOnCard(CardStatusError):
    """``6A82``: the file does not exist on this card."""


class SecurityStatusNotSatisfied(CardStatusError):
    """``6982``: the file needs an access right this terminal does not have (e.g. DG3 without EAC-TA)."""


class ProtocolError(ReaderError):
    """The card violated the protocol (unexpected structure, wrong lengths, inconsistent answers)."""


class NotICAOCardError(ProtocolError):
    """The card has no ICAO 9303 LDS1 application."""


class SecureMessagingError(ReaderError):
    """A secure-messaging response failed verification.

    Deliberately opaque: it never says *which* check failed (MAC, padding, DO'99'), so that it cannot be
    used as an oracle, and it never carries the expected MAC.
    """

    def __init__(self) -> None:
        super().__init__("secure messaging failed: the response could not be authenticated")


class AccessDeniedError(ReaderError):
    """The card refused the access key (BAC or PACE authentication failed)."""


# --- parsing -------------------------------------------------------------------------------------------


class ParseError(ReaderError, ValueError):
    """Malformed input: a TLV structure, data group, certificate or APDU that cannot be decoded."""


class TLVError(ParseError):
    """A BER-TLV structure is malformed (ISO/IEC 8825-1)."""
