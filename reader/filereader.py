"""Reading elementary files (ISO/IEC 7816-4 §11.3.3 READ BINARY; ICAO 9303-10 §3.10, 9303-11 §9.8).

* By short file identifier (P1 = 0x80 | SFI, no SELECT) or by SELECT of the file identifier.
* The outer TLV header is read first; the rest in chunks as large as reader and card allow, starting with
  extended length when the transport supports it and falling back along
  65535 → 4096 → 256 → 224 → 192 → 128 when the card answers with a length-related error.
* Under secure messaging the chunk size is chosen so that the padded cryptogram fills its last cipher block
  (n + 1 ≡ 0 mod block size) and the protected response fits the limit: no padding block is wasted.
* Offsets above 32767 use the odd instruction B1 with DO'54' (offset) and DO'53' (data).
* Tolerance (issue 12; docs/chip-faults.md): a READ BINARY by SFI that the card refuses is followed by
  SELECT of the file identifier, and the reader keeps selecting by FID for the rest of the session
  (finding ``SFI_REFUSED``); when the session re-opened its secure channel the current file is selected
  again before the next chunk; a file whose secure messaging failed is read again from its start on a
  fresh channel, once (finding ``SM_RETRIED``), then the error stands.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from reader import tlv
from reader.apdu import CommandAPDU
from reader.errors import CardStatusError, ProtocolError, SecureMessagingError, TLVError
from reader.findings import SFI_REFUSED, SM_RETRIED, Finding
from reader.lds.files import LDS1_AID, EFInfo
from reader.session import CardSession

READ_SIZE_LADDER: tuple[int, ...] = (65535, 4096, 256, 224, 192, 128)
SHORT_LIMIT = 256
HEADER_READ = 8  # enough for a 2-byte tag and a 5-byte long-form length
MAX_OFFSET_B0 = 0x7FFF
# No elementary file of an eMRTD comes near this (a CCCD's DG2 is ~20 KB; fingerprint DG3 files ~100 KB).
# A card that claims more is refused before the reader spends minutes and memory on it.
MAX_EF_SIZE = 1 << 20
# Status words that mean "ask for less" rather than "this file cannot be read".
_FALLBACK_SW = frozenset({0x6700, 0x6A80, 0x6A86, 0x6F00, 0x6D00, 0x6E00, 0x6884})
_MAC_OVERHEAD = 1 + 10 + 4  # padding indicator, DO'8E', DO'99'

Progress = Callable[[str, int, int], None]


def wrapped_response_length(n: int, block: int) -> int:
    """Length of the protected response data carrying ``n`` plain bytes (DO'87' + DO'99' + DO'8E')."""
    padded = block * ((n + 1 + block - 1) // block)
    value = padded + 1
    length_field = 1 if value < 0x80 else 2 if value < 0x100 else 3
    return 1 + length_field + value + 10 + 4


def chunk_for_limit(limit: int, block: int | None) -> int:
    """Largest plain read size whose response fits ``limit`` bytes; without waste under SM."""
    if block is None:
        return limit
    padded = (limit - _MAC_OVERHEAD) // block * block
    while padded > 0 and wrapped_response_length(padded - 1, block) > limit:
        padded -= block
    if padded <= 0:
        raise ValueError("read-size limit too small for secure messaging")
    return padded - 1


class FileReader:
    """Reads whole EFs through a :class:`CardSession`, adapting the read size to reader and card."""

    def __init__(
        self,
        session: CardSession,
        *,
        ladder: Sequence[int] = READ_SIZE_LADDER,
        progress: Progress | None = None,
    ) -> None:
        self.session = session
        usable = [n for n in ladder if session.supports_extended_length or n <= SHORT_LIMIT]
        if not usable:
            raise ValueError("no usable read size")
        self._ladder = usable
        self._level = 0
        self._progress = progress
        self.sfi_usable = True  # False once the card refused READ BINARY by short file identifier
        self._sfi_worked = False  # True once a read by SFI succeeded: a later 6A82 by SFI means "absent"
        self._selected: tuple[EFInfo, int] | None = None  # the current EF and the channel it was selected on

    @property
    def current_limit(self) -> int:
        return self._ladder[self._level]

    def _chunk(self, remaining: int, extra: int = 0) -> int:
        sm = self.session.secure_messaging
        block = sm.alg.block_size if sm else None
        return max(1, min(remaining, chunk_for_limit(self.current_limit, block) - extra))

    def _step_down(self, exc: CardStatusError) -> None:
        if exc.sw not in _FALLBACK_SW or self._level + 1 >= len(self._ladder):
            raise exc
        self._level += 1

    # --- commands -------------------------------------------------------------------------------

    def select_application(self, aid: bytes = LDS1_AID) -> None:
        """SELECT the LDS1 eMRTD application by AID (ICAO 9303-10 §3.10.1)."""
        self.session.send(CommandAPDU(0x00, 0xA4, 0x04, 0x0C, aid), "SELECT application")

    def select_ef(self, ef: EFInfo) -> None:
        """SELECT an EF by its FID under the current DF, without FCI (P2 = 0C)."""
        self._selected = None
        self.session.send(CommandAPDU(0x00, 0xA4, 0x02, 0x0C, ef.fid.to_bytes(2, "big")), f"SELECT {ef.name}")
        self._selected = (ef, self.session.generation)

    def _reselect_if_needed(self, ef: EFInfo) -> None:
        """After a re-opened channel the card's current file is unknown: select ``ef`` again."""
        self.session.ensure_channel()
        if self._selected != (ef, self.session.generation):
            self.select_ef(ef)

    def _read_binary(self, offset: int, n: int, sfi: int | None) -> bytes:
        if sfi is not None:
            cmd = CommandAPDU(0x00, 0xB0, 0x80 | sfi, offset, ne=n)
        elif offset <= MAX_OFFSET_B0:
            cmd = CommandAPDU(0x00, 0xB0, offset >> 8, offset & 0xFF, ne=n)
        else:
            do54 = tlv.encode(0x54, offset.to_bytes((offset.bit_length() + 7) // 8, "big"))
            data = self.session.send(CommandAPDU(0x00, 0xB1, 0x00, 0x00, do54, ne=n + 4), "READ BINARY (B1)")
            try:
                return tlv.decode(data, expected_tag=0x53).value
            except TLVError as exc:
                raise ProtocolError("READ BINARY (B1) answered without DO'53'") from exc
        return self.session.send(cmd, "READ BINARY")

    def _read_at(self, ef: EFInfo, offset: int, remaining: int, sfi: int | None) -> bytes:
        while True:
            extra = 4 if offset > MAX_OFFSET_B0 else 0
            n = self._chunk(remaining, extra)
            if sfi is None:
                self._reselect_if_needed(ef)
            try:
                data = self._read_binary(offset, n, sfi)
            except CardStatusError as exc:
                if sfi is not None:
                    raise  # an SFI read is 8 bytes: a smaller size would not help (see _read_head)
                self._step_down(exc)
                continue
            if sfi is not None:
                self._selected = (ef, self.session.generation)  # READ BINARY by SFI selects the file
                self._sfi_worked = True
            return data

    def _read_head(self, ef: EFInfo, by_sfi: bool) -> bytes:
        if by_sfi and ef.sfi is not None and self.sfi_usable:
            self.session.ensure_channel()
            try:
                return self._read_at(ef, 0, HEADER_READ, ef.sfi)
            except CardStatusError as exc:
                if exc.sw == 0x6982 or (exc.sw == 0x6A82 and self._sfi_worked):
                    raise  # rights we lack, or a file this SFI-capable card does not have
                self.select_ef(ef)  # absent by FID too: FileNotFoundOnCard stands
                self.sfi_usable = False
                self.session.findings.append(
                    Finding(SFI_REFUSED, ef.name, f"READ BINARY by SFI: {exc.sw:04X}")
                )
        else:
            self.session.ensure_channel()
            self.select_ef(ef)
        return self._read_at(ef, 0, HEADER_READ, None)

    def read_ef(self, ef: EFInfo, *, by_sfi: bool = True) -> bytes:
        """Read the whole file: its outer TLV and nothing after it.

        Raises :class:`~reader.errors.FileNotFoundOnCard` (``6A82``) or
        :class:`~reader.errors.SecurityStatusNotSatisfied` (``6982``) when the card refuses the file.
        """
        try:
            return self._read_ef(ef, by_sfi)
        except SecureMessagingError:
            if not self.session.can_reopen:
                raise
            self.session.findings.append(Finding(SM_RETRIED, ef.name))
            self.session.ensure_channel()
            return self._read_ef(ef, by_sfi)

    def _read_ef(self, ef: EFInfo, by_sfi: bool) -> bytes:
        head = self._read_head(ef, by_sfi)
        try:
            _tag, length, value_offset = tlv.decode_header(head)
        except TLVError as exc:
            raise ProtocolError(f"{ef.name} does not start with a valid TLV header") from exc
        total = value_offset + length
        if total > MAX_EF_SIZE:
            raise ProtocolError(f"{ef.name} claims {total} bytes, more than any ID card file holds")
        data = bytearray(head[:total])
        self._report(ef, len(data), total)
        while len(data) < total:
            part = self._read_at(ef, len(data), total - len(data), None)
            if not part:
                raise ProtocolError(f"{ef.name}: the card returned no data before the end of the file")
            data += part[: total - len(data)]
            self._report(ef, len(data), total)
        return bytes(data)

    def _report(self, ef: EFInfo, done: int, total: int) -> None:
        if self._progress is not None:
            self._progress(ef.name, done, total)
