"""``cccd readers``, ``cccd read`` (PACE with the CAN, or BAC; PA, CA, AA) and ``cccd demo``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cccd.demo import run_chip_demo
from cccd.reading import (
    EVIDENCE_FILE,
    UsageError,
    check_output_paths,
    check_sim_profile,
    load_trust,
    read_card,
    render_text,
    save_dump,
    write_photo,
)
from kiosk.keyentry import (
    KeyEntryError,
    check_document_dates,
    from_document_data,
    from_mrz,
    normalise_id,
    parse_can,
)
from kiosk.runtime.chip import EXIT_CODES, ChipReadError
from kiosk.runtime.reader_models import profile_for
from reader.access.bac import BACKeyInput
from reader.access.control import AccessMode
from reader.errors import NoReaderError
from reader.lds.mrz import cccd_can
from reader.transports import pcsc, pn532
from sims import CLONE_VARIANTS


def register(sub: Any) -> None:
    p = sub.add_parser("readers", help="list PC/SC readers and serial ports")
    p.set_defaults(func=cmd_readers)

    p = sub.add_parser("read", help="read and verify a card")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--reader", metavar="NAME", help="PC/SC reader name (see `cccd readers`)")
    src.add_argument("--sim", metavar="PROFILE", help="read a simulated card in-process")
    src.add_argument("--serial", metavar="PORT", help="a PN532 reader on a serial port (e.g. /dev/ttyUSB0)")
    p.add_argument("--baud", type=int, default=115200, help="with --serial: the PN532's HSU baud rate")
    p.add_argument("--mrz", help="the MRZ lines from the back of the card (TD1: 3 × 30 characters)")
    p.add_argument("--id", dest="id_number", metavar="ID12", help="the 12-digit personal ID")
    p.add_argument("--dob", metavar="YYMMDD", help="birth date")
    p.add_argument("--expiry", metavar="YYMMDD", help="expiry date (991231 for cards without expiry)")
    p.add_argument(
        "--can", metavar="NNNNNN", help="Card Access Number for PACE (default with --id: its last 6 digits)"
    )
    p.add_argument(
        "--access",
        choices=[m.value for m in AccessMode],
        default="auto",
        help="auto: PACE when the chip offers it, else BAC (a fallback is reported); pace; bac",
    )
    p.add_argument(
        "--clone", choices=CLONE_VARIANTS, help="with --sim: the card's data on a chip without its keys"
    )
    p.add_argument("--trust", metavar="DIR", type=Path, help="CSCA certificates and master lists")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--save-dump", metavar="DIR", type=Path, help=f"write each file read, raw, and {EVIDENCE_FILE}"
    )
    p.add_argument("--photo-out", metavar="FILE", type=Path, help="write the chip photo (DG2 image)")
    p.set_defaults(func=cmd_read)

    p = sub.add_parser("demo", help="run the demo on embedded defaults (simulated card, no hardware)")
    p.add_argument("--profile", default="default")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_demo)


def cmd_readers(args: argparse.Namespace) -> int:
    """PC/SC readers, then the serial ports the system reports (listed only: unknown devices are never
    opened or probed; a PN532 among them is read with ``cccd read --serial PORT``)."""

    try:
        names, problem = pcsc.list_readers(), None
    except NoReaderError as exc:
        names, problem = [], str(exc)
    ports = pn532.list_serial_ports()
    if problem:
        print(f"{'error' if not ports else 'note'}: {problem}", file=sys.stderr)
    if not names and not ports:
        if not problem:
            print("no PC/SC readers connected and no serial ports", file=sys.stderr)
        return EXIT_CODES["no_reader"]
    for name in names:
        ext = "extended length" if profile_for(name).extended_length else "short APDUs"
        print(f"{name}\t({ext})")
    for device, description in ports:
        what = f"serial: {description}" if description and description != "n/a" else "serial"
        print(f"{device}\t({what}; a PN532 is read with --serial {device}, short APDUs)")
    return 0


def _can(args: argparse.Namespace) -> str | None:
    """``--can``, else the CAN of a valid ``--id`` (:func:`reader.lds.mrz.cccd_can`)."""
    if args.can is not None:
        return parse_can(args.can)
    if args.id_number is not None:
        try:
            return cccd_can(normalise_id(args.id_number))
        except KeyEntryError:
            return None  # reported by _key
    return None


def _key(args: argparse.Namespace, can: str | None) -> BACKeyInput | None:
    """The BAC inputs from ``--mrz`` or ``--id --dob --expiry`` (:mod:`kiosk.keyentry`)."""
    if args.mrz:
        return from_mrz(args.mrz).bac_key()
    if args.id_number is None:
        if can is not None and args.dob is None and args.expiry is None:
            return None  # PACE with the CAN alone; no BAC fallback possible
        raise KeyEntryError("give either --mrz or --id with --dob and --expiry")
    pid = normalise_id(args.id_number)
    check_document_dates(pid, args.dob, args.expiry)
    if args.dob is None and args.expiry is None:
        return None  # PACE with the ID's CAN alone; no BAC fallback possible
    if args.dob is None or args.expiry is None:
        raise KeyEntryError("--dob and --expiry go together (YYMMDD each)")
    return from_document_data(pid, args.dob, args.expiry).bac_key()


def cmd_read(args: argparse.Namespace) -> int:
    try:
        if args.clone and not args.sim:
            raise KeyEntryError("--clone needs --sim")
        if args.baud != 115200 and not args.serial:
            raise KeyEntryError("--baud goes with --serial")
        if args.baud <= 0:
            raise KeyEntryError("--baud must be a positive baud rate")
        check_sim_profile(args.sim)
        can = _can(args)
        key = _key(args, can)
        if args.trust is not None:
            load_trust(args.trust)
        check_output_paths(args.save_dump, args.photo_out)
        report = read_card(
            reader_name=args.reader, sim_profile=args.sim, key=key, trust_dir=args.trust,
            can=can, access=AccessMode(args.access), clone=args.clone,
            serial_port=args.serial, baudrate=args.baud,
        )  # fmt: skip
    except (KeyEntryError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CODES["usage"]
    except ChipReadError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    try:
        if args.save_dump:
            save_dump(report.raw, args.save_dump, report.evidence)
        if args.photo_out and not write_photo(report, args.photo_out):
            print("warning: the card holds no readable photo; nothing written", file=sys.stderr)
    except OSError as exc:
        print(f"error: cannot write the dump or photo ({exc.strerror})", file=sys.stderr)
        return EXIT_CODES["usage"]
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        print(render_text(report))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:

    return run_chip_demo(args.profile, as_json=args.json)
