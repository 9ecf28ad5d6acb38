"""Composition of a chip read for the command line and the kiosk: key input, transport, trust store,
the read itself, and the translation of every failure into a clear message and exit code."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from reader.access.bac import BACKeyInput
from reader.access.control import AccessMode, BACDataMissingError
from reader.access.pace_protocol import PACEPasswordError
from reader.engine import ChipReader, ChipReadResult, ProgressCallback, ReadRequest
from reader.errors import (
    AccessDeniedError,
    CardRemovedError,
    CardStatusError,
    NoCardError,
    NoReaderError,
    NotICAOCardError,
    ParseError,
    ProtocolError,
    SecureMessagingError,
    TransportError,
)
from reader.lds.mrz import check_digit
from reader.transports.base import Transport

EVIDENCE_FILE = "evidence.json"

EXIT_CODES: dict[str, int] = {
    "ok": 0,
    "usage": 2,
    "access_denied": 3,
    "wrong_can": 3,
    "need_bac_data": 2,
    "no_reader": 4,
    "no_card": 5,
    "card_removed": 6,
    "not_icao": 7,
    "card_error": 8,
    "transport": 9,
}

MESSAGES: dict[str, str] = {
    "access_denied": "the card refused the access key — check the ID number, birth date and expiry",
    "wrong_can": "the card refused the access number (CAN) — check the ID number: the CAN is its last 6 "
    "digits",
    "need_bac_data": "this chip does not open with the CAN alone (it has no PACE) — give the birth date and "
    "expiry too, or the MRZ",
    "no_reader": "no card reader is available",
    "no_card": "no card on the reader — place the card flat on the reader and keep it still",
    "card_removed": "the card was removed during the read — place it again and keep it still until the end",
    "not_icao": "this card has no ICAO chip application — it is not a chip ID card",
    "card_error": "the card answered in a way the reader cannot accept; the read was stopped",
    "transport": "the link to the card failed; place the card again",
}


class KeyInputError(ValueError):
    """The access-key input is malformed (the message says which part)."""


class ChipReadError(Exception):
    """A read that could not complete; ``kind`` is a key of :data:`EXIT_CODES`."""

    def __init__(self, kind: str, detail: str = "") -> None:
        self.kind = kind
        self.message = MESSAGES[kind] + (f" ({detail})" if detail else "")
        self.exit_code = EXIT_CODES[kind]
        super().__init__(self.message)


def ascii_digits(value: str, count: int) -> bool:
    """Exactly ``count`` ASCII digits (``str.isdigit`` also accepts ``０``–``９``, ``٠``–``٩``, ``²``…)."""
    return len(value) == count and value.isascii() and value.isdigit()


def _yymmdd(value: str | None, what: str) -> str:
    """A YYMMDD date that exists in the calendar (in the 1900s or the 2000s: 29 February of 00)."""
    if value is None or not ascii_digits(value, 6):
        raise KeyInputError(f"{what} must be 6 digits YYMMDD")
    if _calendar_date(value, 2000) is None and _calendar_date(value, 1900) is None:
        raise KeyInputError(f"{what} is not a date in the calendar (YYMMDD)")
    return value


def _calendar_date(value: str, century: int) -> date | None:
    try:
        return date(century + int(value[:2]), int(value[2:4]), int(value[4:6]))
    except ValueError:
        return None


def check_dates(
    id_number: str | None, dob: str | None, expiry: str | None, today: date | None = None
) -> None:
    """``--dob``/``--expiry`` that are given must be real dates; with ``--id``, the birth date must be in
    the birth year the ID encodes (cccd-chip.md §1), not in the future, and the expiry after it
    (``991231``: no expiry).  Raised before anything is sent to the card."""
    from kiosk.keyentry.idnumber import birth_year_from_id

    today = today or date.today()
    if dob is not None:
        _yymmdd(dob, "--dob")
    if expiry is not None:
        _yymmdd(expiry, "--expiry")
    if id_number is None or not ascii_digits(id_number, 12):
        return
    year = birth_year_from_id(id_number)
    born = None
    if dob is not None:
        if int(dob[:2]) != year % 100:
            raise KeyInputError("--dob is not in the birth year the personal ID encodes; check both")
        born = _calendar_date(dob, year - year % 100)
        if born is None or born > today:
            raise KeyInputError("--dob is not a possible birth date for this personal ID")
    if expiry is not None and expiry != "991231":
        expires = _calendar_date(expiry, 2000)
        if expires is None or expires <= (born or date(year, 1, 1)) or expires.year > year + 100:
            raise KeyInputError("--expiry is not a possible expiry date for this personal ID")


def load_trust(path: Path) -> Any:
    """The CSCA store of ``--trust DIR``; :class:`KeyInputError` when the folder is missing or a file in
    it cannot be used (a corrupted master list, a certificate that does not parse): a trust anchor the
    operator named is never silently dropped."""
    from reader.pki.errors import PKIError
    from reader.pki.trust import CSCAStore

    try:
        store = CSCAStore.from_folder(path)
    except PKIError as exc:
        raise KeyInputError(f"--trust: {exc}") from None
    if store.problems:
        bad = "; ".join(f"{p.source}: {p.reason}" for p in store.problems[:5])
        raise KeyInputError(f"--trust: unusable file(s) in {path}: {bad}")
    return store


def check_output_paths(save_dump: Path | None, photo_out: Path | None) -> None:
    """``--save-dump DIR`` / ``--photo-out FILE`` must be writable — checked before the card is read."""
    if save_dump is not None:
        try:
            save_dump.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise KeyInputError(f"--save-dump: cannot create {save_dump} ({exc.strerror})") from None
        if not save_dump.is_dir() or not os.access(save_dump, os.W_OK | os.X_OK):
            raise KeyInputError(f"--save-dump: {save_dump} is not a writable directory")
    if photo_out is not None:
        parent = photo_out.parent
        if photo_out.is_dir() or not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
            raise KeyInputError(f"--photo-out: cannot write {photo_out} (no such writable folder)")


def bac_key_from_mrz(text: str) -> BACKeyInput:
    """BAC inputs from a TD1 (3 × 30) or TD3 (2 × 44) MRZ, with their check digits verified."""
    text = text.replace("\\n", "\n")
    lines = [ln.strip().upper().replace(" ", "") for ln in text.splitlines() if ln.strip()]
    if len(lines) == 1 and len(lines[0]) in (90, 88):
        size = 30 if len(lines[0]) == 90 else 44
        lines = [lines[0][i : i + size] for i in range(0, len(lines[0]), size)]
    if [len(x) for x in lines] == [30, 30, 30]:
        doc, doc_cd, dob_line = lines[0][5:14], lines[0][14], lines[1]
        # ICAO 9303-5 §4.2.2.1: the composite over line 1 from position 6, and line 2's dates with theirs
        composite = lines[0][5:30] + lines[1][0:7] + lines[1][8:15] + lines[1][18:29], lines[1][29]
    elif [len(x) for x in lines] == [44, 44]:
        doc, doc_cd, dob_line = lines[1][0:9], lines[1][9], lines[1][13:]
        # ICAO 9303-4 §4.2.2.2: document number, birth date, expiry and optional data with their digits
        composite = lines[1][0:10] + lines[1][13:20] + lines[1][21:43], lines[1][43]
    else:
        raise KeyInputError("the MRZ must be 3 lines of 30 characters (ID card) or 2 lines of 44")
    dob, dob_cd, expiry, exp_cd = dob_line[0:6], dob_line[6], dob_line[8:14], dob_line[14]
    try:
        checks = {
            "document number": check_digit(doc) == doc_cd,
            "birth date": check_digit(dob) == dob_cd,
            "expiry date": check_digit(expiry) == exp_cd,
            "whole MRZ (composite)": check_digit(composite[0]) == composite[1],
        }
    except ParseError:
        raise KeyInputError("the MRZ contains characters that are not allowed") from None
    bad = [name for name, ok in checks.items() if not ok]
    if bad:
        raise KeyInputError(
            f"the MRZ check digit of the {', '.join(bad)} does not match — check the characters"
        )
    return BACKeyInput(doc, _yymmdd(dob, "birth date"), _yymmdd(expiry, "expiry date"))


def bac_key_from_args(
    mrz: str | None, id_number: str | None, dob: str | None, expiry: str | None
) -> BACKeyInput:
    if mrz:
        return bac_key_from_mrz(mrz)
    if id_number is None:
        raise KeyInputError("give either --mrz or --id with --dob and --expiry")
    if not ascii_digits(id_number, 12):
        raise KeyInputError("the personal ID must have exactly 12 digits")
    check_dates(id_number, dob, expiry)
    return BACKeyInput.from_cccd(id_number, _yymmdd(dob, "--dob"), _yymmdd(expiry, "--expiry"))


@dataclass
class ReadOutcome:
    result: ChipReadResult
    report: dict[str, Any]

    def __repr__(self) -> str:
        return f"ReadOutcome({self.result!r})"


@contextmanager
def reaching_the_card() -> Iterator[None]:
    """A failure to reach the card (opening a reader's transport) as the :class:`ChipReadError` kind
    ``cccd read`` reports — the same for the command line and the kiosk's card slots."""
    try:
        yield
    except NoReaderError as exc:
        raise ChipReadError("no_reader", str(exc)) from None
    except NoCardError:
        raise ChipReadError("no_card") from None
    except NotICAOCardError:
        raise ChipReadError("not_icao") from None
    except TransportError as exc:
        raise ChipReadError("transport", str(exc)) from None


def open_transport(reader_name: str) -> Transport:
    from kiosk.readerprofiles import profile_for
    from reader.transports.pcsc import PCSCTransport

    return PCSCTransport(reader_name, extended_length=profile_for(reader_name).extended_length)


def open_serial_transport(port: str, *, baudrate: int = 115200) -> Transport:
    """A PN532 on a serial port (its HSU link): wakes it and activates the card, type A or B
    (``docs/serial-readers.md``)."""
    from reader.transports.pn532 import PN532Transport

    return PN532Transport(port, baudrate=baudrate)


def read_with_transport(
    transport: Transport,
    key: BACKeyInput | None,
    trust: Any,
    notes: list[str],
    *,
    can: str | None = None,
    access: AccessMode = AccessMode.AUTO,
    progress: ProgressCallback | None = None,
) -> ReadOutcome:
    """Run the read (PACE with ``can`` when the chip offers it, else BAC with ``key``); every failure
    becomes a :class:`ChipReadError`.  The configured CCCD EF.CardAccess stands in when the card's own
    cannot be read."""
    from kiosk.chipreport import build_report
    from kiosk.readerprofiles import configured_card_access

    request = ReadRequest(
        bac_key=key, can=can, access=access, trust=trust, card_access_fallback=configured_card_access()
    )
    try:
        result = ChipReader(transport, progress=progress).read(request)
    except PACEPasswordError:
        raise ChipReadError("wrong_can" if can else "access_denied") from None
    except BACDataMissingError:
        raise ChipReadError("need_bac_data") from None
    except AccessDeniedError as exc:
        reason = getattr(exc, "reason", None)
        raise ChipReadError("access_denied", str(reason) if reason else "") from None
    except CardRemovedError:
        raise ChipReadError("card_removed") from None
    except NoCardError:
        raise ChipReadError("no_card") from None
    except NotICAOCardError:
        raise ChipReadError("not_icao") from None
    except (SecureMessagingError, ProtocolError, CardStatusError) as exc:
        raise ChipReadError("card_error", type(exc).__name__) from None
    except TransportError as exc:
        raise ChipReadError("transport", type(exc).__name__) from None
    finally:
        transport.close()
    return ReadOutcome(result, build_report(result, notes))


def read_card(
    *,
    reader_name: str | None,
    sim_profile: str | None,
    key: BACKeyInput | None,
    trust_dir: Path | None,
    can: str | None = None,
    access: AccessMode = AccessMode.AUTO,
    clone: str | None = None,
    serial_port: str | None = None,
    baudrate: int = 115200,
) -> ReadOutcome:
    """Read from a PC/SC reader, a PN532 on ``serial_port``, or a simulated card in-process (trusting
    its test CSCA); ``clone``: a clone variant of the simulated card (``sims.CLONE_VARIANTS``)."""
    from reader.pki.trust import CSCAStore

    notes: list[str] = []
    store = CSCAStore.from_folder(trust_dir) if trust_dir else CSCAStore()
    if trust_dir:
        notes.append(f"trust store: {trust_dir}")
    if sim_profile is not None:
        from reader.transports import CallableTransport
        from sims.personalize import card_image

        image = card_image(sim_profile)
        image.add_test_csca_to(store)
        notes.append(f"simulated card '{sim_profile}': its test CSCA is trusted for this read")
        if clone:
            notes.append(f"simulated clone '{clone}': the data of '{sim_profile}' on a chip without its keys")
        card = image.new_card(clone=clone)
        transport: Transport = CallableTransport(card.execute, name=f"sim:{sim_profile}")
    else:
        with reaching_the_card():
            if serial_port is not None:
                transport = open_serial_transport(serial_port, baudrate=baudrate)
                notes.append(f"serial reader: {transport.name}")
            else:
                assert reader_name is not None
                transport = open_transport(reader_name)
    return read_with_transport(transport, key, store, notes, can=can, access=access)


def _write_private(path: Path, content: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(content)


def save_dump(raw: dict[str, bytes], directory: Path, evidence: dict[str, Any] | None = None) -> None:
    """One raw file per EF, named ``EF.COM``, ``EF.SOD``, ``EF.CardAccess``, ``DG1`` …, plus
    ``evidence.json`` (the AA challenge and signature, CA and PACE(-CAM) records) — all mode 0600, in a
    0700 directory (personal data: issue 12)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(directory, 0o700)
    for name, content in raw.items():
        _write_private(directory / name, content)
    if evidence is not None:
        text = json.dumps({"format": "cccd-evidence/1", **evidence}, indent=2, sort_keys=True)
        _write_private(directory / EVIDENCE_FILE, text.encode())


def write_photo(raw: dict[str, bytes], path: Path) -> bool:
    from kiosk.chipreport import extract_photo

    photo = extract_photo(raw)
    if photo is None:
        return False
    _write_private(path, photo)
    return True


def render_text(report: dict[str, Any]) -> str:
    """A short human-readable report."""
    doc = report.get("document", {})
    personal = doc.get("personal") or {}
    reasons = f"  ({', '.join(report['reasons'])})" if report["reasons"] else ""
    lines = [
        f"verdict:        {report['verdict']}{reasons}",
        f"access:         {_access_line(report['access'])}",
        f"passive auth:   {report['checks']['passive_auth']['result']}",
        f"anti-clone:     {_anticlone_line(report['checks'])}",
        f"ID number:      {doc.get('id_number') or '-'}",
        f"name:           {personal.get('full_name') or '-'}",
        f"birth date:     {personal.get('date_of_birth') or '-'}",
    ]
    photo = doc.get("photo")
    if photo:
        size = f"{photo['width']}×{photo['height']}"
        lines.append(f"photo:          {photo['format']} {size}, {photo['bytes']} bytes")
    s = report["stats"]
    link = f"{s['apdus']} APDUs, {s['bytes_in']} B in, {s['bytes_out']} B out, {s['elapsed_ms']} ms"
    lines.append(f"link:           {link}")
    lines += [f"note:           {n}" for n in report.get("notes", [])]
    return "\n".join(lines)


def _access_line(access: dict[str, Any]) -> str:
    line = f"{access['method']}" + (f" — {access['protocol']}" if access.get("protocol") else "")
    if access.get("downgraded"):
        line += f"  [DOWNGRADED from PACE: {access.get('downgrade_reason')}]"
    return line


def _anticlone_line(checks: dict[str, Any]) -> str:
    parts = [f"proof {checks.get('anticlone', {}).get('method', 'none')}"]
    for key, label in (("chip_auth", "CA"), ("pace_cam", "PACE-CAM"), ("active_auth", "AA")):
        c = checks.get(key) or {}
        if c.get("result") not in (None, "not_performed"):
            reason = f" ({c['reason']})" if c.get("reason") else ""
            parts.append(f"{label} {c['result']}{reason}")
    return "; ".join(parts)
