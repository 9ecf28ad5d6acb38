"""Status-word meanings (ISO/IEC 7816-4 §5.6, tables 5–6; ICAO 9303-11 §9.8.6 and §10.2)."""

from __future__ import annotations

_EXACT: dict[int, str] = {
    0x9000: "success",
    0x6281: "part of returned data may be corrupted",
    0x6282: "end of file reached before reading Ne bytes",
    0x6283: "selected file deactivated",
    0x6300: "authentication failed",
    0x6581: "memory failure",
    0x6700: "wrong length",
    0x6881: "logical channel not supported",
    0x6882: "secure messaging not supported",
    0x6883: "last command of the chain expected",
    0x6884: "command chaining not supported",
    0x6981: "command incompatible with file structure",
    0x6982: "security status not satisfied",
    0x6983: "authentication method blocked",
    0x6984: "reference data not usable",
    0x6985: "conditions of use not satisfied",
    0x6986: "command not allowed (no current EF)",
    0x6987: "expected secure-messaging data objects missing",
    0x6988: "incorrect secure-messaging data objects",
    0x6A80: "incorrect parameters in the data field",
    0x6A81: "function not supported",
    0x6A82: "file or application not found",
    0x6A83: "record not found",
    0x6A84: "not enough memory space in the file",
    0x6A86: "incorrect parameters P1-P2",
    0x6A88: "referenced data not found",
    0x6B00: "wrong parameters (offset outside the EF)",
    0x6D00: "instruction code not supported or invalid",
    0x6E00: "class not supported",
    0x6F00: "no precise diagnosis",
}

_BY_SW1: dict[int, str] = {
    0x61: "more response bytes available (GET RESPONSE)",
    0x62: "warning: non-volatile memory unchanged",
    0x63: "warning: non-volatile memory changed",
    0x64: "execution error: non-volatile memory unchanged",
    0x65: "execution error: non-volatile memory changed",
    0x66: "security-related issue",
    0x67: "wrong length",
    0x68: "functions in CLA not supported",
    0x69: "command not allowed",
    0x6A: "wrong parameters P1-P2",
    0x6C: "wrong Le field (exact length in SW2)",
}

# Status words with which a card refuses authentication (BAC EXTERNAL AUTHENTICATE, PACE General
# Authenticate).  Cards differ: ICAO 9303-11 names 6300 for PACE; many answer 6982 or 6985 for BAC.
AUTH_FAILURE_SW = frozenset({0x6300, 0x6982, 0x6985, 0x6988, 0x6A80, 0x6983, 0x6984})


def describe(sw: int) -> str:
    """Human-readable meaning of a status word."""
    if sw in _EXACT:
        return _EXACT[sw]
    sw1, sw2 = sw >> 8, sw & 0xFF
    if sw1 == 0x63 and sw2 & 0xF0 == 0xC0:
        return f"verification failed, {sw2 & 0x0F} tries left"
    return _BY_SW1.get(sw1, "unknown status")


def is_success(sw: int) -> bool:
    """9000, and the 61xx 'more data' family handled by the session."""
    return sw == 0x9000
