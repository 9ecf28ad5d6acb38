"""``cccd sim profiles | show NAME | serve``: the simulated card."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from typing import Any

from cccd.cli.dump import load_dump
from reader.transports.pn532_frames import CardType
from sims import CLONE_VARIANTS
from sims.people import list_profiles, load_profile
from sims.personalize import card_image
from sims.pn532 import PN532SimOptions, SimulatedPN532
from sims.replay import card_from_dump, load_private_key
from sims.vpcd import VPCDBridge


def register(sub: Any) -> None:
    sim = sub.add_parser("sim", help="the simulated card")
    simsub = sim.add_subparsers(dest="sim_command", metavar="SUBCOMMAND", required=True)

    p = simsub.add_parser("profiles", help="list the ready-made card profiles")
    p.set_defaults(func=cmd_profiles)

    p = simsub.add_parser("show", help="print what is printed on a profile's card")
    p.add_argument("name")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)

    p = simsub.add_parser(
        "serve", help="put a simulated card on the vpcd virtual reader (or a simulated PN532) until stopped"
    )
    p.add_argument(
        "--serial",
        action="store_true",
        help="a simulated PN532 on a pseudo-terminal instead of vpcd: prints its path for `read --serial`",
    )
    p.add_argument("--card-type", choices=("A", "B"), default="A", help="with --serial: ISO/IEC 14443 type")
    p.add_argument("--profile", default="default")
    p.add_argument("--slot", type=int, default=0, help="vpcd slot: 0 = 'Virtual PCD 00 00', 1 = '... 00 01'")
    p.add_argument("--remove-after", type=int, metavar="N", help="remove the card after N APDUs")
    p.add_argument(
        "--clone",
        choices=CLONE_VARIANTS,
        help="the profile's data on a chip with other keys / without CA and AA (must not verify)",
    )
    p.add_argument(
        "--from-dump", type=Path, metavar="DIR", help="replay a dump written by `cccd read --save-dump`"
    )
    p.add_argument("--ca-key", type=Path, metavar="PEM", help="with --from-dump: the Chip Authentication key")
    p.add_argument(
        "--aa-key", type=Path, metavar="PEM", help="with --from-dump: the Active Authentication key"
    )
    p.add_argument("--can", metavar="NNNNNN", help="with --from-dump: the PACE CAN (default: from DG1's ID)")
    p.add_argument(
        "--export-trust",
        type=Path,
        metavar="DIR",
        help="write the card's test CSCA there (for `read --trust`)",
    )
    p.set_defaults(func=cmd_serve)


def cmd_profiles(args: argparse.Namespace) -> int:

    for name in list_profiles():
        print(f"{name}\t{load_profile(name).description}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:

    try:
        printed = load_profile(args.name).printed_card()
    except (KeyError, FileNotFoundError, ValueError) as exc:
        print(f"error: unknown profile {args.name!r} ({exc})", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(printed, ensure_ascii=False, indent=2))
    else:
        for key, value in printed.items():
            if isinstance(value, list):
                print(f"{key}:")
                for line in value:
                    print(f"    {line}")
            else:
                print(f"{key}: {value}")
    return 0


def _dump_card(args: argparse.Namespace) -> Any:

    ca_key = load_private_key(args.ca_key) if args.ca_key else None
    aa_key = load_private_key(args.aa_key) if args.aa_key else None
    return card_from_dump(load_dump(args.from_dump), ca_key=ca_key, aa_key=aa_key, can=args.can)


def cmd_serve(args: argparse.Namespace) -> int:

    if args.from_dump is None and (args.ca_key or args.aa_key or args.can):
        print("error: --ca-key, --aa-key and --can go with --from-dump", file=sys.stderr)
        return 2
    if args.from_dump is not None:
        if args.clone or args.export_trust:
            print("error: --clone and --export-trust go with --profile, not --from-dump", file=sys.stderr)
            return 2
        try:
            card = _dump_card(args)
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        what = f"replayed dump {args.from_dump.name}"
    else:
        image = card_image(args.profile)
        if args.export_trust:
            image.pki.export_folder(args.export_trust, include_crl=False)
        card = image.new_card(clone=args.clone)
        what = f"card '{args.profile}'" + (f" (clone: {args.clone})" if args.clone else "")
    if args.serial:
        return _serve_serial(args, card, what)
    bridge = VPCDBridge(card, slot=args.slot, remove_after=args.remove_after)

    def _stop(signum: int, frame: Any) -> None:
        bridge.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        bridge.connect()
    except OSError as exc:
        print(
            f"error: cannot reach the vpcd driver on port {bridge.port} ({exc}); is pcscd running?",
            file=sys.stderr,
        )
        return 4
    print(f"{what} is on 'Virtual PCD 00 {args.slot:02d}'; Ctrl-C removes it", flush=True)
    bridge.serve_forever()
    print(f"card removed after {bridge.apdus} APDUs", flush=True)
    return 0


def _serve_serial(args: argparse.Namespace, card: Any, what: str) -> int:
    """The card on a simulated PN532 (sims/pn532.py) on a pty, until SIGTERM or Ctrl-C.  Every activation
    (InListPassiveTarget) gets a fresh card of the same kind, as a real card is reset by the field."""

    if args.from_dump is not None:

        def fresh() -> Any:
            return _dump_card(args).execute
    else:
        image = card_image(args.profile)

        def fresh() -> Any:
            return image.new_card(clone=args.clone).execute

    first = [card.execute]

    def factory() -> Any:
        return first.pop() if first else fresh()

    options = PN532SimOptions(card_type=CardType[args.card_type], remove_after=args.remove_after)
    sim = SimulatedPN532(factory, options)

    def _stop(signum: int, frame: Any) -> None:
        sim.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print(f"{what} is on a simulated PN532 (type {args.card_type}) at {sim.path}; Ctrl-C removes it",
          flush=True)  # fmt: skip
    sim.serve_forever()
    print(f"card removed after {sim.counters.apdus} APDUs", flush=True)
    return 0
