"""The simulated card: an ISO/IEC 7816-4 card OS with the ICAO 9303 LDS1 application.

``CardOS.execute(command) -> response`` is the whole interface (as in vsmartcard's virtual smart card).
Instructions are dispatched through a table; a :class:`StatusWord` raised anywhere becomes SW1-SW2 in one
place.  Secure messaging, once started by BAC (here) or by a plugged-in applet (PACE, Chip
Authentication), is enforced for every command of the LDS1 application.

Known behaviours of the real CCCD chip are reproduced (cccd-chip.md §3): DG3 answers ``6982``, absent data
groups ``6A82``, and optionally SELECT MF answers ``6D00``.
"""

from __future__ import annotations

import enum
import hmac
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from reader import crypto, tlv
from reader.access import bac
from reader.apdu import SHORT_MAX_NE, CommandAPDU, ResponseAPDU
from reader.errors import ParseError, SecureMessagingError, TLVError
from reader.lds.files import BY_NAME, LDS1_AID, EFInfo
from reader.sm import SecureMessaging


class StatusWord(Exception):
    """Raised by a handler to answer with a status word."""

    def __init__(self, sw: int) -> None:
        super().__init__(f"{sw:04X}")
        self.sw = sw


class Access(enum.Enum):
    """Who may read a file."""

    ALWAYS = "always"  # EF.CardAccess: readable in the clear
    SECURE_MESSAGING = "sm"  # LDS1 files after BAC or PACE
    TERMINAL_AUTHENTICATION = "ta"  # DG3/DG4: EAC-TA, which we never have: always 6982


@dataclass(slots=True)
class CardFile:
    """An elementary file and its access condition."""

    info: EFInfo
    content: bytes
    access: Access

    def __repr__(self) -> str:
        return f"CardFile({self.info.name}, {len(self.content)} bytes)"


Handler = Callable[["CardOS", CommandAPDU], ResponseAPDU]


class CardApplet(Protocol):
    """A protocol plugged into the card OS (PACE, Chip Authentication, Active Authentication)."""

    def ins_handlers(self) -> Mapping[int, Handler]: ...


@dataclass(frozen=True, slots=True)
class CardBehaviour:
    """Switches for card quirks and capabilities."""

    select_mf_quirk: bool = False  # SELECT MF answers 6D00 (cccd-chip.md §3)
    extended_length: bool = True
    max_response: int = 65536
    bac_enabled: bool = True
    lds_application: bool = True  # False: some other contactless card (a bank card, a transit card)
    # Quirks of real chips the reader must survive (issue 12, docs/chip-faults.md):
    sfi_supported: bool = True  # False: READ BINARY by short file identifier answers 6A82
    # How an error status is answered under secure messaging: "protected" (DO'99' + DO'8E'), "abort"
    # (plain SW1-SW2 and secure messaging ends, as ICAO 9303-11 §9.8.6.3 has it), "plain" (plain SW1-SW2,
    # secure messaging goes on without counting the reply).
    sm_errors: str = "protected"
    omit_do99: str = "never"  # "errors": protected error answers lack DO'99'; "always": every answer does
    plain_under_sm: str = "accept"  # "reject": a plain command under SM ends SM and is answered 6987


@dataclass
class _State:
    df: str = "MF"  # "MF" or "LDS1"
    ef: CardFile | None = None
    sm: SecureMessaging | None = None
    rnd_icc: bytes | None = None
    extra: dict[str, object] = field(default_factory=dict)


class CardOS:
    """A contactless eMRTD chip in software."""

    ATR = bytes.fromhex("3B8880010000000077818100")  # ISO 14443-B style, PC/SC part 3 (TCK appended)

    def __init__(
        self,
        mf_files: Mapping[str, bytes],
        lds_files: Mapping[str, bytes],
        *,
        bac_key: bac.BACKeyInput | None = None,
        behaviour: CardBehaviour | None = None,
        applets: tuple[CardApplet, ...] = (),
        refused: Mapping[str, Access] | None = None,
        rng: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self.behaviour = behaviour or CardBehaviour()
        self.rng = rng
        self._bac_keys = bac.derive_access_keys(bac_key) if bac_key else None
        self.mf: dict[int, CardFile] = {}
        self.lds: dict[int, CardFile] = {}
        for name, content in mf_files.items():
            info = BY_NAME[name]
            self.mf[info.fid] = CardFile(info, content, Access.ALWAYS)
        for name, content in lds_files.items():
            info = BY_NAME[name]
            self.lds[info.fid] = CardFile(info, content, Access.SECURE_MESSAGING)
        for name, access in (refused or {}).items():
            info = BY_NAME[name]
            self.lds[info.fid] = CardFile(info, b"", access)
        self.state = _State()
        self.handlers: dict[int, Handler] = {
            0xA4: CardOS._select,
            0xB0: CardOS._read_binary,
            0xB1: CardOS._read_binary_odd,
            0x84: CardOS._get_challenge,
            0x82: CardOS._external_authenticate,
        }
        for applet in applets:
            self.handlers.update(applet.ins_handlers())
        self.apdu_count = 0

    def __repr__(self) -> str:
        return f"CardOS(files={len(self.mf) + len(self.lds)})"

    @property
    def atr(self) -> bytes:
        tck = 0
        for b in self.ATR[1:]:
            tck ^= b
        return self.ATR + bytes([tck])

    # --- the one entry point -------------------------------------------------------------------

    def reset(self) -> None:
        """Power cycle: selection and secure messaging are lost."""
        self.state = _State()

    def execute(self, raw: bytes) -> bytes:
        """Process one command APDU and return the response APDU."""
        self.apdu_count += 1
        answer = self._execute(raw)
        pending = self.state.extra.pop("pending_sm", None)
        if isinstance(pending, SecureMessaging):
            self.state.sm = pending
        return answer

    def _execute(self, raw: bytes) -> bytes:
        try:
            command = CommandAPDU.from_bytes(raw)
        except ParseError:
            return ResponseAPDU(b"", 0x6700).to_bytes()
        sm = self.state.sm
        if sm is not None and command.cla & 0x0C == 0x0C:
            try:
                command = sm.unprotect_command(command)
            except SecureMessagingError:
                self.state.sm = None  # ICAO 9303-11 §9.8.6: abort secure messaging
                return ResponseAPDU(b"", 0x6988).to_bytes()
            response = self._dispatch(command)
            if self.state.sm is sm:
                failed = response.sw not in (0x9000, 0x6282)
                if failed and self.behaviour.sm_errors != "protected":
                    if self.behaviour.sm_errors == "abort":
                        self.state.sm = None
                    return ResponseAPDU(b"", response.sw).to_bytes()
                omit = self.behaviour.omit_do99 == "always" or (
                    failed and self.behaviour.omit_do99 == "errors"
                )
                response = sm.protect_response(response, include_do99=not omit)
                if len(response.data) > self.behaviour.max_response:  # the card's buffer holds the wire form
                    return ResponseAPDU(b"", 0x6700).to_bytes()
            return response.to_bytes()
        if sm is not None:
            self.state.sm = None  # a plain command ends the secure-messaging session
            if self.behaviour.plain_under_sm == "reject":
                return ResponseAPDU(b"", 0x6987).to_bytes()  # ... and is refused itself
        if command.cla & 0x0C == 0x0C:
            return ResponseAPDU(b"", 0x6987 if sm is None else 0x6988).to_bytes()
        return self._dispatch(command).to_bytes()

    def _dispatch(self, command: CommandAPDU) -> ResponseAPDU:
        if command.cla & 0xE3 not in (0x00,) and command.cla != 0x10:
            return ResponseAPDU(b"", 0x6E00)
        handler = self.handlers.get(command.ins)
        if handler is None:
            return ResponseAPDU(b"", 0x6D00)
        if command.ne > self.behaviour.max_response or (
            command.is_extended and not self.behaviour.extended_length
        ):
            return ResponseAPDU(b"", 0x6700)
        try:
            return handler(self, command)
        except StatusWord as sw:
            return ResponseAPDU(b"", sw.sw)

    # --- file system ---------------------------------------------------------------------------

    def _current_files(self) -> dict[int, CardFile]:
        return self.lds if self.state.df == "LDS1" else self.mf

    def _select(self, command: CommandAPDU) -> ResponseAPDU:
        p1 = command.p1
        if p1 == 0x04:  # by DF name
            if command.data != LDS1_AID or not self.behaviour.lds_application:
                raise StatusWord(0x6A82)
            self.state.df, self.state.ef = "LDS1", None
            return ResponseAPDU(b"", 0x9000)
        if p1 == 0x00 and command.data in (b"", b"\x3f\x00"):  # MF
            if self.behaviour.select_mf_quirk:
                raise StatusWord(0x6D00)
            self.state.df, self.state.ef = "MF", None
            return ResponseAPDU(b"", 0x9000)
        if p1 in (0x00, 0x02) and len(command.data) == 2:
            fid = int.from_bytes(command.data, "big")
            files = self._current_files()
            if fid not in files and self.state.df == "LDS1" and fid in self.mf:
                files = self.mf  # EF.CardAccess is reachable by FID from the application too
            if fid not in files:
                raise StatusWord(0x6A82)
            self._check_access(files[fid])
            self.state.ef = files[fid]
            return ResponseAPDU(b"", 0x9000)
        raise StatusWord(0x6A86)

    def _check_access(self, f: CardFile) -> None:
        if f.access is Access.TERMINAL_AUTHENTICATION:
            raise StatusWord(0x6982)
        if not f.content and f.access is not Access.ALWAYS:
            raise StatusWord(0x6A82)
        if f.access is Access.SECURE_MESSAGING and self.state.sm is None:
            raise StatusWord(0x6982)

    def _select_sfi(self, sfi: int) -> CardFile:
        for files in (self._current_files(), self.mf):
            for f in files.values():
                if f.info.sfi == sfi and (files is not self.mf or f.info.in_mf):
                    self._check_access(f)
                    self.state.ef = f
                    return f
        raise StatusWord(0x6A82)

    def _slice(self, f: CardFile, offset: int, ne: int) -> ResponseAPDU:
        if offset > len(f.content):
            raise StatusWord(0x6B00)
        chunk = f.content[offset : offset + ne]
        return ResponseAPDU(chunk, 0x9000 if len(chunk) == ne else 0x6282)

    def _read_binary(self, command: CommandAPDU) -> ResponseAPDU:
        if command.p1 & 0x80:
            if not self.behaviour.sfi_supported:
                raise StatusWord(0x6A82)
            f = self._select_sfi(command.p1 & 0x1F)
            offset = command.p2
        else:
            if self.state.ef is None:
                raise StatusWord(0x6986)
            f = self.state.ef
            self._check_access(f)
            offset = (command.p1 << 8) | command.p2
        return self._slice(f, offset, command.ne or SHORT_MAX_NE)

    def _read_binary_odd(self, command: CommandAPDU) -> ResponseAPDU:
        if (command.p1, command.p2) != (0, 0) or self.state.ef is None:
            raise StatusWord(0x6A86 if self.state.ef else 0x6986)
        f = self.state.ef
        self._check_access(f)
        try:
            offset = int.from_bytes(tlv.decode(command.data, expected_tag=0x54).value, "big")
        except TLVError:
            raise StatusWord(0x6A80) from None
        room = max(0, (command.ne or SHORT_MAX_NE) - 4)
        inner = self._slice(f, offset, room)
        return ResponseAPDU(tlv.encode(0x53, inner.data), inner.sw)

    # --- BAC (ICAO 9303-11 §4.3) ---------------------------------------------------------------

    def _get_challenge(self, command: CommandAPDU) -> ResponseAPDU:
        if command.ne != 8:
            raise StatusWord(0x6700)
        self.state.rnd_icc = self.rng(8)
        return ResponseAPDU(self.state.rnd_icc, 0x9000)

    def _external_authenticate(self, command: CommandAPDU) -> ResponseAPDU:
        rnd_icc, self.state.rnd_icc = self.state.rnd_icc, None
        if self._bac_keys is None or not self.behaviour.bac_enabled:
            raise StatusWord(0x6D00)
        if rnd_icc is None:
            raise StatusWord(0x6985)
        if len(command.data) != 40:
            raise StatusWord(0x6700)
        k_enc, k_mac = self._bac_keys
        e_ifd, m_ifd = command.data[:32], command.data[32:]
        if not hmac.compare_digest(crypto.retail_mac(k_mac, e_ifd), m_ifd):
            raise StatusWord(0x6300)
        s = crypto.tdes_cbc_decrypt(k_enc, e_ifd)
        rnd_ifd, received_icc, k_ifd = s[:8], s[8:16], s[16:]
        if not hmac.compare_digest(received_icc, rnd_icc):
            raise StatusWord(0x6300)
        k_icc = self.rng(16)
        e_icc = crypto.tdes_cbc_encrypt(k_enc, rnd_icc + rnd_ifd + k_icc)
        response = ResponseAPDU(e_icc + crypto.retail_mac(k_mac, e_icc), 0x9000)
        self.state.sm = bac.session_keys(k_ifd, k_icc, rnd_icc, rnd_ifd)
        return response

    # --- for applets ---------------------------------------------------------------------------

    def start_secure_messaging(self, sm: SecureMessaging) -> None:
        """Used by applets (PACE, CA): the *next* response is protected with ``sm``.

        Takes effect after the current response has been sent: the card answers the command that
        established the keys under the old state (ICAO 9303-11 §4.4.3.5, §6.2).
        """
        self.state.extra["pending_sm"] = sm

    def file_content(self, name: str) -> bytes:
        info = BY_NAME[name]
        files = self.mf if info.in_mf else self.lds
        f = files.get(info.fid)
        return f.content if f else b""
