"""``cccd evidence verify FILE --jwks FILE [--record FILE]``: re-check a bank evidence object offline
(docs/evidence.md).

``FILE`` is either the bank webhook body as received (JSON with ``data.evidence_jws``, ``data.record_jws``
and, when delivered, ``data.biometric_evidence``), or a bare compact evidence JWS; then ``--record`` gives
the record (the signed record JWS, or the record JSON).  The kiosk's public keys come from ``--jwks``
(``cccd keys show > jwks.json``).  Exit codes: 0 valid, 1 not valid (each problem printed), 2 bad input.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import sys
from pathlib import Path
from typing import Any

from kiosk.evidence import verify_evidence
from kiosk.keys import KeyStoreError, load_jwks

MAX_INPUT = 64 * 1024 * 1024


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("evidence", help="bank evidence objects (SBV 2345): verify offline")
    sub = parser.add_subparsers(dest="evidence_command", metavar="ACTION", required=True)
    v = sub.add_parser("verify", help="check signature, schema and every proof against the record")
    v.add_argument("file", type=Path, metavar="FILE", help="bank webhook body (JSON) or an evidence JWS")
    v.add_argument("--jwks", type=Path, required=True, metavar="FILE", help="the kiosk's public JWK Set")
    v.add_argument("--record", type=Path, metavar="FILE", help="the record: its signed JWS or its JSON")
    v.add_argument("--json", action="store_true")
    v.set_defaults(func=_verify)


class _BadInput(Exception):
    pass


def _read(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_INPUT:
            raise _BadInput(f"{path.name}: too large")
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _BadInput(f"{path.name}: cannot read ({type(exc).__name__})") from None


def _inputs(args: argparse.Namespace) -> dict[str, Any]:
    text = _read(args.file).strip()
    out: dict[str, Any] = {"record": None, "record_jws": None, "images": None}
    if text.startswith("{"):
        try:
            body = json.loads(text)
            data = body["data"] if isinstance(body.get("data"), dict) else body
            out["evidence_jws"] = str(data["evidence_jws"])
        except (ValueError, KeyError, TypeError, AttributeError):
            raise _BadInput(f"{args.file.name}: JSON without data.evidence_jws") from None
        out["record_jws"] = data.get("record_jws")
        bio = data.get("biometric_evidence")
        if isinstance(bio, dict):
            try:
                out["images"] = {name.removesuffix("_image"): base64.b64decode(item["data"], validate=True)
                                 for name, item in bio.items()}  # fmt: skip
            except (KeyError, TypeError, binascii.Error):
                raise _BadInput(f"{args.file.name}: biometric_evidence is malformed") from None
    else:
        out["evidence_jws"] = text
    if args.record is not None:
        rec = _read(args.record).strip()
        out["record_jws"] = None
        if rec.startswith("{"):
            try:
                out["record"] = json.loads(rec)
            except ValueError:
                raise _BadInput(f"{args.record.name}: not JSON") from None
        else:
            out["record_jws"] = rec
    if out["record"] is None and out["record_jws"] is None:
        raise _BadInput("no record to check against: give --record FILE (or the whole bank webhook body)")
    return out


def _verify(args: argparse.Namespace) -> int:
    try:
        keys = load_jwks(args.jwks)
        inputs = _inputs(args)
    except (_BadInput, KeyStoreError) as exc:
        print(f"evidence: {exc}", file=sys.stderr)
        return 2
    result = verify_evidence(inputs["evidence_jws"], keys, record=inputs["record"],
                             record_jws=inputs["record_jws"], images=inputs["images"])  # fmt: skip
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        ev = result["evidence"] or {}
        if result["valid"]:
            c, p = ev["conclusion"], ev["proofs"]
            print(f"valid: evidence {ev['verification_id']} from {ev['device']['device_id']} "
                  f"(key {ev['device']['signing_key_id'][:12]}…), checked against the record")  # fmt: skip
            for name in ("passive_authentication", "anti_clone", "face_match", "liveness"):
                print(f"  {name}: {p[name]['strength']}")
            print(f"  meets Decision 2345: {c['meets_decision_2345']} (status {c['status']})")
        else:
            print("NOT valid:")
            for problem in result["problems"]:
                print(f"  {problem}")
    return 0 if result["valid"] else 1
