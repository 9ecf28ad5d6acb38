"""``cccd kiosk``: run the kiosk flow.  Today: ``--headless --sim`` (whole flows with the simulated card and
camera and a scripted user); the touch-screen UI arrives with the UI issue.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from cccd.compose import ComposeError, drain_outbox, relay_until_idle
from cccd.config import from_args, kiosk_config
from cccd.config import profile as configured_profile
from cccd.fleet import Fleet, FleetError, start_fleet
from cccd.fleet import add_arguments as add_fleet_arguments
from cccd.headless import FACE_STEPS, SCENARIOS, HeadlessError, ScriptedUser, build_scenario_kiosk, run_flow
from cccd.metrics import MetricsError, MetricsExport, add_arguments
from kiosk.config import BUILTIN_PROFILES, ConfigError
from kiosk.profiles import Profile

PROFILES = BUILTIN_PROFILES


def register(subparsers: Any) -> None:

    p = subparsers.add_parser("kiosk", help="run the kiosk flow (headless with --sim)")
    p.add_argument("--headless", action="store_true", help="no UI: a scripted user answers every screen")
    p.add_argument("--sim", action="store_true", help="simulated card and camera (ground truth)")
    p.add_argument("--profile", default=None, choices=(*PROFILES, "all"),
                   help="deployment profile (default: the configuration file's)")
    p.add_argument("--scenario", default="happy", choices=(*SCENARIOS, "all"), help="scripted scenario")
    p.add_argument("--face", default="engine", choices=FACE_STEPS,
                   help="engine: the biometrics verifier watching a simulated person (default); "
                   "ground-truth: the simulated camera's ground truth, no face analysis (fast)")  # fmt: skip
    p.add_argument("--runs", type=int, default=1, help="transactions per profile and scenario")
    p.add_argument("--deliver-to", metavar="URL", help="point every connector at this receiver")
    p.add_argument("--data-dir", type=Path, help="kiosk state (default $CCCD_DATA_DIR or ~/.local/share)")
    p.add_argument("--device-id", help="this kiosk's device ID in its records (e.g. as enrolled with a hub)")
    p.add_argument("--site-id", help="this kiosk's site ID in its records")
    p.add_argument("--drain-seconds", type=float, default=60.0, metavar="S",
                   help="with --deliver-to: at the end, deliver every pending row (this run's and any "
                   "earlier run's), waiting up to S seconds for retries (default 60)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="one JSON object per result")
    p.add_argument("-v", "--verbose", action="store_true", help="log the flow (no personal data)")
    add_arguments(p)
    add_fleet_arguments(p)
    p.add_argument("--stay", action="store_true",
                   help="after the runs, stay up until SIGTERM or Ctrl-C: the fleet agent goes on reporting "
                   "(a demo fleet that stays online in the hub's console)")  # fmt: skip
    p.set_defaults(func=_run)


def _line(r: Any) -> str:
    detail = f" ({', '.join(r.detail)})" if r.detail else ""
    mark = "" if r.as_expected else f"  [expected {r.expected}, card left: {r.expected_card_left}]"
    queue = f"  queue={r.queue_number}" if r.queue_number else ""
    queue += f"  BHYT={r.insurance}" if getattr(r, "insurance", None) else ""
    card = "  card=LEFT_ON_READER" if r.card_left else ""
    return (f"{r.profile}/{r.scenario}: {r.outcome}{detail}  record={r.record_status or '-'} "
            f"id={r.verification_id or '-'}{queue}{card}  {r.elapsed_ms:.0f} ms{mark}")  # fmt: skip


def _usage(args: argparse.Namespace) -> str | None:
    if not args.headless:
        return "the touch-screen UI is not part of this build yet: use --headless"
    if not args.sim:
        return "headless runs need --sim (the PC/SC kiosk needs the face engine, not yet available)"
    if args.runs < 1:
        return "--runs must be at least 1"
    if args.deliver_to and not os.environ.get("CCCD_WEBHOOK_SECRET"):
        return "--deliver-to needs CCCD_WEBHOOK_SECRET (the receiver's whsec_ secret) in the environment"
    return None


def _run(args: argparse.Namespace) -> int:

    problem = _usage(args)
    if problem:
        print(f"kiosk: {problem}", file=sys.stderr)
        return 2
    try:
        with MetricsExport.from_args(args):
            return _run_flows(args)
    except MetricsError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2


def _run_flows(args: argparse.Namespace) -> int:
    try:
        loaded = from_args(args)
        config = kiosk_config(loaded, data_dir=args.data_dir, deliver_to=args.deliver_to)
        profiles: tuple[str | Profile, ...] = (
            PROFILES if args.profile == "all" else (configured_profile(loaded, args.profile),))
    except ConfigError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    if args.device_id or args.site_id:
        config = replace(config, device_id=args.device_id or config.device_id,
                         site_id=args.site_id or config.site_id)  # fmt: skip
    try:
        fleet = start_fleet(loaded.settings, config, enrolment=args.hub_enrolment, interval=args.hub_interval)
    except FleetError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    try:
        rc = _run_kiosks(args, config, profiles, fleet)
        if args.stay:
            staying = {"staying": True, "exit_code": rc}
            print(json.dumps(staying) if args.json else "staying up (Ctrl-C or SIGTERM ends)", flush=True)
            _stay()
        return rc
    finally:
        if fleet is not None:
            fleet.stop()


def _stay() -> None:
    """Until SIGTERM or Ctrl-C (the fleet agent's thread goes on meanwhile)."""
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_kiosks(args: argparse.Namespace, config: Any, profiles: tuple[str | Profile, ...],
                fleet: Fleet | None) -> int:  # fmt: skip
    scenarios = list(SCENARIOS.values()) if args.scenario == "all" else [SCENARIOS[args.scenario]]
    failures = 0
    for profile in profiles:
        for scenario in scenarios:
            try:
                kiosk, card = build_scenario_kiosk(scenario, profile, config, face=args.face)
            except (ComposeError, HeadlessError) as exc:
                print(f"kiosk: {exc}", file=sys.stderr)
                return 2
            if fleet is not None:
                fleet.attach(kiosk)
            try:
                for _ in range(args.runs):
                    result = run_flow(kiosk, ScriptedUser(scenario, card), scenario)
                    failures += not result.as_expected
                    print(json.dumps(result.to_dict()) if args.json else _line(result), flush=True)
                    # the pause between two people: the record, audit and wipe are written, so a bundle
                    # the fleet agent pulled meanwhile is applied before the next one (cccd.fleet)
                    kiosk.runner.drain_storage()
                if args.deliver_to:
                    counts = relay_until_idle(kiosk)
                    name = profile if isinstance(profile, str) else profile.name
                    summary = {"profile": name, "scenario": scenario.name, "outbox": counts}
                    print(json.dumps(summary) if args.json else f"  outbox: {counts}", flush=True)
            except HeadlessError as exc:
                print(f"kiosk: {exc}", file=sys.stderr)
                failures += 1
            finally:
                if fleet is not None:
                    fleet.detach()
                kiosk.close()
    if args.deliver_to:
        counts = drain_outbox(profiles[-1], config, max(0.0, args.drain_seconds))
        print(json.dumps({"drain": counts}) if args.json else f"outbox after the drain: {counts}", flush=True)
        failures += counts["pending"] > 0
    return 1 if failures else 0
