"""``cccd readers``, ``cccd read`` (PACE with the CAN, or BAC; PA, CA, AA) and ``cccd demo``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kiosk.chipread import (
    EVIDENCE_FILE,
    EXIT_CODES,
    ChipReadError,
    KeyInputError,
    ascii_digits,
    bac_key_from_args,
    check_dates,
    check_output_paths,
    load_trust,
    read_card,
    render_text,
    save_dump,
    write_photo,
)
from reader.access.bac import BACKeyInput
from reader.access.control import AccessMode
from sims import CLONE_VARIANTS
from sims.profile import list_profiles


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
    from kiosk.readerprofiles import profile_for
    from reader.errors import NoReaderError
    from reader.transports.pcsc import list_readers
    from reader.transports.pn532 import list_serial_ports

    try:
        names, problem = list_readers(), None
    except NoReaderError as exc:
        names, problem = [], str(exc)
    ports = list_serial_ports()
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
    if args.id_number is not None and not ascii_digits(args.id_number, 12):
        raise KeyInputError("the personal ID must have exactly 12 digits (0-9)")
    if args.can is not None:
        if not ascii_digits(args.can, 6):
            raise KeyInputError("the CAN must be 6 digits (0-9)")
        return str(args.can)
    if args.id_number and ascii_digits(args.id_number, 12):
        return str(args.id_number[6:])  # cccd-chip.md §3: the CAN is the ID's last 6 digits
    return None


def _key(args: argparse.Namespace, can: str | None) -> BACKeyInput | None:
    if can is not None and not args.mrz and (args.dob is None or args.expiry is None):
        if args.id_number is not None and (len(args.id_number) != 12 or not args.id_number.isdigit()):
            raise KeyInputError("the personal ID must have exactly 12 digits")
        return None  # PACE with the CAN alone; no BAC fallback possible
    return bac_key_from_args(args.mrz, args.id_number, args.dob, args.expiry)


def cmd_read(args: argparse.Namespace) -> int:
    try:
        if args.clone and not args.sim:
            raise KeyInputError("--clone needs --sim")
        if args.baud != 115200 and not args.serial:
            raise KeyInputError("--baud goes with --serial")
        if args.baud <= 0:
            raise KeyInputError("--baud must be a positive baud rate")
        if args.sim is not None and args.sim not in list_profiles():
            raise KeyInputError(
                f"no simulated profile '{args.sim}' (cccd sim profiles: {', '.join(list_profiles())})"
            )
        can = _can(args)
        check_dates(args.id_number, args.dob, args.expiry)
        key = _key(args, can)
        if args.trust is not None:
            load_trust(args.trust)
        check_output_paths(args.save_dump, args.photo_out)
        outcome = read_card(
            reader_name=args.reader, sim_profile=args.sim, key=key, trust_dir=args.trust,
            can=can, access=AccessMode(args.access), clone=args.clone,
            serial_port=args.serial, baudrate=args.baud,
        )  # fmt: skip
    except KeyInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CODES["usage"]
    except ChipReadError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    try:
        if args.save_dump:
            save_dump(outcome.result.raw, args.save_dump, outcome.result.evidence)
        if args.photo_out and not write_photo(outcome.result.raw, args.photo_out):
            print("warning: the card holds no readable photo; nothing written", file=sys.stderr)
    except OSError as exc:
        print(f"error: cannot write the dump or photo ({exc.strerror})", file=sys.stderr)
        return EXIT_CODES["usage"]
    if args.json:
        print(json.dumps(outcome.report, ensure_ascii=False, indent=2))
    else:
        print(render_text(outcome.report))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from kiosk.demo import run_chip_demo

    return run_chip_demo(args.profile, as_json=args.json)
