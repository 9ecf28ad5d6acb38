"""``cccd readers``, ``cccd read`` and ``cccd demo`` (issue 2 version: a card on the virtual reader)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kiosk.chipread import (
    EXIT_CODES,
    ChipReadError,
    KeyInputError,
    bac_key_from_args,
    read_card,
    render_text,
    save_dump,
    write_photo,
)


def register(sub: Any) -> None:
    p = sub.add_parser("readers", help="list PC/SC readers")
    p.set_defaults(func=cmd_readers)

    p = sub.add_parser("read", help="read and verify a card")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--reader", metavar="NAME", help="PC/SC reader name (see `cccd readers`)")
    src.add_argument("--sim", metavar="PROFILE", help="read a simulated card in-process")
    p.add_argument("--mrz", help="the MRZ lines from the back of the card (TD1: 3 × 30 characters)")
    p.add_argument("--id", dest="id_number", metavar="ID12", help="the 12-digit personal ID")
    p.add_argument("--dob", metavar="YYMMDD", help="birth date")
    p.add_argument("--expiry", metavar="YYMMDD", help="expiry date (991231 for cards without expiry)")
    p.add_argument("--trust", metavar="DIR", type=Path, help="CSCA certificates and master lists")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--save-dump", metavar="DIR", type=Path, help="write each file read, raw")
    p.add_argument("--photo-out", metavar="FILE", type=Path, help="write the chip photo (DG2 image)")
    p.set_defaults(func=cmd_read)

    p = sub.add_parser("demo", help="run the demo on embedded defaults (simulated card, no hardware)")
    p.add_argument("--profile", default="default")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_demo)


def cmd_readers(args: argparse.Namespace) -> int:
    from kiosk.readerprofiles import profile_for
    from reader.errors import NoReaderError
    from reader.transports.pcsc import list_readers

    try:
        names = list_readers()
    except NoReaderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CODES["no_reader"]
    if not names:
        print("no PC/SC readers connected", file=sys.stderr)
        return EXIT_CODES["no_reader"]
    for name in names:
        ext = "extended length" if profile_for(name).extended_length else "short APDUs"
        print(f"{name}\t({ext})")
    return 0


def cmd_read(args: argparse.Namespace) -> int:
    try:
        key = bac_key_from_args(args.mrz, args.id_number, args.dob, args.expiry)
        outcome = read_card(reader_name=args.reader, sim_profile=args.sim, key=key, trust_dir=args.trust)
    except KeyInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CODES["usage"]
    except ChipReadError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    if args.save_dump:
        save_dump(outcome.result.raw, args.save_dump)
    if args.photo_out and not write_photo(outcome.result.raw, args.photo_out):
        print("warning: the card holds no readable photo; nothing written", file=sys.stderr)
    if args.json:
        print(json.dumps(outcome.report, ensure_ascii=False, indent=2))
    else:
        print(render_text(outcome.report))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from kiosk.demo import run_chip_demo

    return run_chip_demo(args.profile, as_json=args.json)
