"""``cccd insurance check|sim-gateway``: try the BHXH gateway configuration, and run the simulated gateway
(docs/insurance.md).

``check`` reads the ``[insurance]`` table of ``--config`` (secrets by reference), asks the gateway for one
person and prints the typed result and the citizen's sentence — the deployer's health check of the
integration.  Exit codes: 0 the card is valid here, 1 any other answer (the status says which), 2 bad
arguments or configuration.  ``sim-gateway`` serves the simulated gateway on loopback until interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from kiosk.insurance.bhxh import BhxhClient, InsuranceConfigError, InsuranceStatus
from kiosk.insurance.step import settings_from_mapping
from kiosk.keyentry import InvalidIDError, normalise_id
from sims.bhxh import SCENARIOS, BhxhGateway, BhxhServer


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "insurance", help="health insurance (BHXH gateway): check, simulated gateway"
    )
    sub = parser.add_subparsers(dest="insurance_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="ask the gateway about one person (configuration health check)")
    check.add_argument("--config", type=Path, required=True, help="TOML file with an [insurance] table")
    check.add_argument("--id", required=True, help="12-digit personal ID (CCCD number)")
    check.add_argument("--name", required=True, help="full name as on the card")
    check.add_argument("--dob", required=True, help="birth date YYYY-MM-DD")
    check.add_argument("--json", action="store_true")
    check.set_defaults(func=_check)
    sim = sub.add_parser("sim-gateway", help="serve the simulated BHXH gateway on loopback until stopped")
    sim.add_argument("--port", type=int, default=0)
    sim.add_argument(
        "--scenario", default="valid", help="default answer: valid, expired, wrong_facility, ..."
    )
    sim.add_argument("--slow-seconds", type=float, default=5.0)
    sim.set_defaults(func=_sim_gateway)


def _check(args: argparse.Namespace) -> int:
    try:
        table = tomllib.loads(args.config.read_text("utf-8")).get("insurance")
        if not isinstance(table, dict):
            raise ValueError("no [insurance] table")
        settings = settings_from_mapping(table)
        birth = date.fromisoformat(args.dob)
        id_number = normalise_id(args.id)
    except InvalidIDError:
        print("insurance: --id must be the 12-digit personal ID", file=sys.stderr)
        return 2
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError) as exc:
        print(f"insurance: {exc}", file=sys.stderr)
        return 2
    client = BhxhClient(settings)
    try:
        result = client.check(id_number, args.name, birth)
    except InsuranceConfigError as exc:
        print(f"insurance: {exc}", file=sys.stderr)
        return 2
    finally:
        client.close()
    if args.json:
        body = {"status": result.status.value, "gateway_code": result.gateway_code, "note": result.note,
                "attempts": result.attempts, "elapsed_ms": result.elapsed_ms,
                "service": result.service_fields(), "message_vi": result.message("vi")}  # fmt: skip
        print(json.dumps(body, indent=2, ensure_ascii=False))
    else:
        print(f"{result.status.value} (maKetQua {result.gateway_code}, {result.attempts} attempt(s), "
              f"{result.elapsed_ms} ms)")  # fmt: skip
        print(result.message("vi"))
    return 0 if result.status is InsuranceStatus.VALID else 1


def _sim_gateway(args: argparse.Namespace) -> int:

    if args.scenario not in SCENARIOS:
        print(f"insurance: --scenario must be one of {', '.join(SCENARIOS)}", file=sys.stderr)
        return 2
    gateway = BhxhGateway(default_scenario=args.scenario, slow_seconds=args.slow_seconds)
    try:  # Ctrl-C (SIGINT) at any moment, even right after the line below, is a clean stop
        with BhxhServer(gateway, port=args.port) as server:
            people = ", ".join(p[:6] + "***" for p in gateway.people)
            print(f"simulated BHXH gateway on {server.url} (account {gateway.username}; people: {people}); "
                  "Ctrl-C stops it", flush=True)  # fmt: skip
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    return 0
