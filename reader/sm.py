"""Secure messaging (ICAO 9303-11 §9.8; ISO/IEC 7816-4 §10) for 3DES and AES sessions.

One object holds the session keys and the send-sequence counter (SSC) and is used by both roles: the reader
calls :meth:`SecureMessaging.protect` / :meth:`SecureMessaging.unprotect`; the simulated card calls
:meth:`SecureMessaging.unprotect_command` / :meth:`SecureMessaging.protect_response`.  Each of these
increments the SSC once, so reader and card stay in step.

Order of checks on receipt: the MAC (DO'8E') is verified in constant time *before* anything is decrypted;
every failure raises the single opaque :class:`reader.errors.SecureMessagingError`.
"""

from __future__ import annotations

import hmac

from reader import crypto
from reader.apdu import EXT_MAX_NE, SHORT_MAX_NE, CommandAPDU, ResponseAPDU
from reader.crypto import CipherAlg
from reader.errors import ParseError, SecureMessagingError, TLVError
from reader.tlv import encode, iter_tlv

MAC_LENGTH = 8
# 6987 (SM data objects missing), 6988 (SM data objects incorrect): the chip could not verify our SM
# objects, or got a plain command while it still expected SM.  A card answers them unprotected: it has then
# left secure messaging for this command.
SM_ERROR_SW = frozenset({0x6987, 0x6988})


class SecureMessaging:
    """Secure-messaging session state: ``ks_enc``, ``ks_mac`` and the ``ssc``."""

    __slots__ = ("_ks_enc", "_ks_mac", "_ssc", "alg")

    def __init__(self, alg: CipherAlg, ks_enc: bytes, ks_mac: bytes, ssc: int) -> None:
        if len(ks_enc) != alg.key_length or len(ks_mac) != alg.key_length:
            raise ValueError("session key length does not match the cipher")
        self.alg = alg
        self._ks_enc = ks_enc
        self._ks_mac = ks_mac
        self._ssc = ssc

    def __repr__(self) -> str:  # never the keys or the counter
        return f"SecureMessaging({self.alg.name})"

    @classmethod
    def tdes(cls, ks_enc: bytes, ks_mac: bytes, ssc: bytes) -> SecureMessaging:
        """3DES session after BAC (ICAO 9303-11 §9.8.6.1): 8-byte SSC from the challenges."""
        if len(ssc) != 8:
            raise ValueError("3DES SSC is 8 bytes")
        return cls(CipherAlg.DESEDE2, ks_enc, ks_mac, int.from_bytes(ssc, "big"))

    @classmethod
    def aes(cls, alg: CipherAlg, ks_enc: bytes, ks_mac: bytes, ssc: int = 0) -> SecureMessaging:
        """AES session after PACE or CA (ICAO 9303-11 §9.8.6.2): 16-byte SSC, zero after key agreement."""
        if alg.family != "AES":
            raise ValueError("not an AES cipher")
        return cls(alg, ks_enc, ks_mac, ssc)

    # --- primitives -----------------------------------------------------------------------------

    @property
    def _block(self) -> int:
        return self.alg.block_size

    def _ssc_bytes(self) -> bytes:
        return self._ssc.to_bytes(self._block, "big")

    def _iv(self) -> bytes:
        if self.alg is CipherAlg.DESEDE2:
            return b"\x00" * 8
        return crypto.aes_ecb_encrypt(self._ks_enc, self._ssc_bytes())

    def _encrypt(self, data: bytes) -> bytes:
        padded = crypto.pad(data, self._block)
        if self.alg is CipherAlg.DESEDE2:
            return crypto.tdes_cbc_encrypt(self._ks_enc, padded, self._iv())
        return crypto.aes_cbc_encrypt(self._ks_enc, padded, self._iv())

    def _decrypt(self, data: bytes) -> bytes:
        if not data or len(data) % self._block:
            raise SecureMessagingError
        if self.alg is CipherAlg.DESEDE2:
            plain = crypto.tdes_cbc_decrypt(self._ks_enc, data, self._iv())
        else:
            plain = crypto.aes_cbc_decrypt(self._ks_enc, data, self._iv())
        try:
            return crypto.unpad(plain)
        except ParseError:
            raise SecureMessagingError from None

    def mac(self, data: bytes) -> bytes:
        """MAC over SSC ‖ data with padding method 2 (retail MAC or AES-CMAC, truncated to 8 bytes)."""
        if self.alg is CipherAlg.DESEDE2:
            return crypto.retail_mac(self._ks_mac, self._ssc_bytes() + data)  # pads internally
        return crypto.aes_cmac(self._ks_mac, crypto.pad(self._ssc_bytes() + data, 16), MAC_LENGTH)

    def _verify_mac(self, data: bytes, mac: bytes) -> None:
        if not hmac.compare_digest(self.mac(data), mac):
            raise SecureMessagingError

    # --- reader role ----------------------------------------------------------------------------

    def protect(self, command: CommandAPDU) -> CommandAPDU:
        """Wrap a plain command (ICAO 9303-11 §9.8.5.1): DO'87'/'85', DO'97', DO'8E'."""
        cla = command.cla | 0x0C
        header = bytes([cla, command.ins, command.p1, command.p2])
        self._ssc += 1
        body = b""
        if command.data:
            if command.ins & 1:  # odd INS: BER-TLV plain data, DO'85' without padding indicator
                body += encode(0x85, self._encrypt(command.data))
            else:
                body += encode(0x87, b"\x01" + self._encrypt(command.data))
        if command.ne:
            if command.is_extended:
                le = b"\x00\x00" if command.ne == EXT_MAX_NE else command.ne.to_bytes(2, "big")
            else:
                le = b"\x00" if command.ne == SHORT_MAX_NE else bytes([command.ne])
            body += encode(0x97, le)
        mac = self.mac(crypto.pad(header, self._block) + body)
        body += encode(0x8E, mac)
        extended = command.is_extended or len(body) > 255
        return CommandAPDU(
            cla, command.ins, command.p1, command.p2, body,
            ne=EXT_MAX_NE if extended else SHORT_MAX_NE, extended=extended,
        )  # fmt: skip

    def unprotect(self, response: ResponseAPDU) -> ResponseAPDU:
        """Verify and unwrap a protected response (ICAO 9303-11 §9.8.5.2).

        A card may answer an error status without secure-messaging objects (e.g. ``6A82``); such a
        response carries no data and is returned as is.  ``6987``/``6988`` (the card rejected our SM
        objects) and any response whose MAC, DO'99' or padding fail raise :class:`SecureMessagingError`.
        """
        self._ssc += 1
        if not response.data:
            if response.sw in SM_ERROR_SW or response.sw == 0x9000 or response.sw >> 8 == 0x61:
                raise SecureMessagingError
            return response
        try:
            objects = list(iter_tlv(response.data))
        except TLVError:
            raise SecureMessagingError from None
        mac_input = b""
        cryptogram: bytes | None = None
        odd = False
        do99: bytes | None = None
        mac: bytes | None = None
        for obj in objects:
            if mac is not None:
                raise SecureMessagingError  # nothing may follow DO'8E'
            if obj.tag in (0x87, 0x85):
                if cryptogram is not None:
                    raise SecureMessagingError
                cryptogram, odd = obj.value, obj.tag == 0x85
                mac_input += obj.raw
            elif obj.tag == 0x99:
                do99 = obj.value
                mac_input += obj.raw
            elif obj.tag == 0x8E:
                mac = obj.value
            else:
                raise SecureMessagingError
        if mac is None or do99 is None or len(do99) != 2:
            raise SecureMessagingError
        self._verify_mac(mac_input, mac)
        sw = int.from_bytes(do99, "big")
        if sw != response.sw and response.sw != 0x9000:
            raise SecureMessagingError
        data = b""
        if cryptogram is not None:
            if not odd:
                if not cryptogram or cryptogram[0] != 0x01:
                    raise SecureMessagingError
                cryptogram = cryptogram[1:]
            data = self._decrypt(cryptogram)
        return ResponseAPDU(data, sw)

    # --- card role ------------------------------------------------------------------------------

    def unprotect_command(self, command: CommandAPDU) -> CommandAPDU:
        """Card side: verify and unwrap a protected command; :class:`SecureMessagingError` on failure."""
        self._ssc += 1
        if command.cla & 0x0C != 0x0C:
            raise SecureMessagingError
        header = bytes([command.cla, command.ins, command.p1, command.p2])
        try:
            objects = list(iter_tlv(command.data))
        except TLVError:
            raise SecureMessagingError from None
        mac_input = crypto.pad(header, self._block)
        cryptogram: bytes | None = None
        odd = False
        le: bytes | None = None
        mac: bytes | None = None
        for obj in objects:
            if mac is not None:
                raise SecureMessagingError
            if obj.tag in (0x87, 0x85) and cryptogram is None:
                cryptogram, odd = obj.value, obj.tag == 0x85
                mac_input += obj.raw
            elif obj.tag == 0x97 and le is None:
                le = obj.value
                mac_input += obj.raw
            elif obj.tag == 0x8E:
                mac = obj.value
            else:
                raise SecureMessagingError
        if mac is None:
            raise SecureMessagingError
        self._verify_mac(mac_input, mac)
        data = b""
        if cryptogram is not None:
            if not odd:
                if not cryptogram or cryptogram[0] != 0x01:
                    raise SecureMessagingError
                cryptogram = cryptogram[1:]
            data = self._decrypt(cryptogram)
        ne = 0
        if le is not None:
            if len(le) not in (1, 2):
                raise SecureMessagingError
            ne = int.from_bytes(le, "big") or (SHORT_MAX_NE if len(le) == 1 else EXT_MAX_NE)
        try:
            return CommandAPDU(command.cla & ~0x0C & 0xFF, command.ins, command.p1, command.p2, data, ne=ne)
        except ParseError:
            raise SecureMessagingError from None

    def protect_response(self, response: ResponseAPDU, *, include_do99: bool = True) -> ResponseAPDU:
        """Card side: wrap a plain response with DO'87'/'85', DO'99' and DO'8E'.

        ``include_do99=False`` only for simulating non-conformant chips (tests of the reader's tolerance).
        """
        self._ssc += 1
        body = b""
        if response.data:
            body += encode(0x87, b"\x01" + self._encrypt(response.data))
        if include_do99:
            body += encode(0x99, response.sw.to_bytes(2, "big"))
        body += encode(0x8E, self.mac(body))
        return ResponseAPDU(body, response.sw)
