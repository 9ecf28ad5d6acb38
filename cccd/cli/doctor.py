"""``cccd doctor [--json] [--sim]``: can this kiosk serve?  Each check with its fix (cccd.doctor).

Exit 0 only when every check passes; 1 when one fails; 2 when the configuration file itself is invalid.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from cccd.config import from_args
from cccd.doctor import as_json, report_lines, run_checks
from kiosk.config import ConfigError


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("doctor", help="check that this kiosk can serve (exit 0 only when all pass)")
    p.add_argument("--json", action="store_true", help="one JSON object: ok and every check")
    p.add_argument(
        "--sim",
        action="store_true",
        help="the simulated camera and the vpcd reader instead of the configured hardware",
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        loaded = from_args(args)
    except ConfigError as exc:
        if args.json:
            print(
                json.dumps(
                    {
                        "ok": False,
                        "checks": [
                            {
                                "name": "config",
                                "status": "fail",
                                "summary": str(exc),
                                "fix": "cccd config check",
                                "details": {},
                            }
                        ],
                    }
                )
            )
        else:
            print(f"doctor: {exc}", file=sys.stderr)
        return 2
    checks = run_checks(loaded, sim=args.sim)
    if args.json:
        print(json.dumps(as_json(checks), ensure_ascii=False, default=str))
    else:
        print("\n".join(report_lines(checks)))
        failed = sum(c.status == "fail" for c in checks)
        print(f"{len(checks) - failed} of {len(checks)} checks passed" if failed else "all checks passed")
    return 0 if all(c.ok for c in checks) else 1
