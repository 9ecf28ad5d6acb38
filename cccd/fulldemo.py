"""``make demo``: the whole kiosk on embedded defaults — simulated card and camera, SQLite, no hardware.

Issue 5 ("``make demo`` runs ``cccd kiosk --headless --sim`` against a local ``cccd receiver``") and issue 6
("``make demo`` opens the UI when a display exists").  The steps, each a real ``cccd`` process:

1. ``cccd receiver`` on a free loopback port (verifies the webhook signature and the record's JWS);
2. ``cccd demo``: one simulated card read through pcscd and the vpcd virtual reader (the real PC/SC path);
3. ``cccd kiosk --headless --sim --profile all --scenario all --deliver-to URL``: every profile and scenario,
   each record delivered to the receiver;
4. with a display (``DISPLAY`` or ``WAYLAND_DISPLAY``): ``cccd ui --sim --demo`` walks one transaction on
   screen, delivering to the same receiver;
5. a summary: what the receiver stored, the kiosk's outbox, the audit chain; then the receiver is stopped
   (also on failure, Ctrl-C or SIGTERM).

State lives in ``build/demo/`` (``--state-dir``).  Kept between runs: the webhook secret (``whsec_``, mode
0600) and the kiosk's device keys.  Fresh every run: the kiosk and receiver databases, so that running the
demo twice gives the same result.  Run ``python -m cccd.fulldemo --help`` for the options.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from kiosk.connectors.webhooks import decode_secret, new_webhook_secret
from kiosk.keys import KeyStore
from kiosk.storage import KioskStore
from sims.bhxh import BhxhGateway, BhxhServer

DEFAULT_STATE = Path("build") / "demo"
UI_PROFILE = "lodging"  # the profile whose flow reaches a receipt with today's simulated chip (docs/ui.md)
RECEIVER_START_SECONDS = 15.0
CHIP_STEP = "chip read through pcscd (simulated card on the vpcd reader)"
UI_STEP = f"touch-screen UI: a scripted user walks one '{UI_PROFILE}' transaction"
FLEET_STEP = ("the fleet: PostgreSQL, the hub, three kiosks delivering through it and reporting with their "
              "fleet agents (docs/hub.md)")
FLEET_SECONDS = 600.0


class DemoError(Exception):
    """A step of the demo could not start or finish."""


@dataclass(frozen=True, slots=True)
class DemoState:
    """The demo's files under one directory."""

    root: Path

    @property
    def data(self) -> Path:
        return self.root / "kiosk"

    @property
    def keys(self) -> Path:
        return self.data / "keys"

    @property
    def kiosk_db(self) -> Path:
        return self.data / "kiosk.db"

    @property
    def receiver_db(self) -> Path:
        return self.root / "receiver.db"

    @property
    def receiver_token(self) -> Path:
        return self.root / "receiver.token"

    @property
    def secret_file(self) -> Path:
        return self.root / "webhook.secret"

    @property
    def config_file(self) -> Path:
        return self.root / "kiosk.toml"


def _remove_db(path: Path) -> None:
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        p.unlink(missing_ok=True)


def _secret(path: Path) -> str:
    """The demo's webhook secret: created once (mode 0600), then reused."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        value = path.read_text().strip()
        decode_secret(value)  # a damaged file is an error, not a silently different secret
        return value
    value = new_webhook_secret()
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    return value


def prepare_state(root: Path) -> tuple[DemoState, str]:
    """Create (or reuse) the secret and the device keys; start from empty databases."""
    state = DemoState(root)
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o700)
    secret = _secret(state.secret_file)
    state.data.mkdir(mode=0o700, exist_ok=True)
    KeyStore.open(state.keys)
    _remove_db(state.kiosk_db)
    _remove_db(state.receiver_db)
    return state, secret


BHXH_FACILITY = "79001"  # the simulated hospital's facility code (sims.bhxh registers its people there)
BHXH_ENV = {"CCCD_BHXH_OFFICER": "Trần Văn Tiếp Đón", "CCCD_BHXH_OFFICER_ID": "001080000001"}


def write_demo_config(state: DemoState, gateway_url: str) -> Path:
    """The demo kiosk's configuration file: the embedded defaults plus the hospital's ``[insurance]``
    table pointing at the simulated BHXH gateway, its secrets as references to the demo's environment
    (docs/insurance.md, "Settings and secrets")."""
    state.config_file.write_text(
        "# make demo: the hospital's BHYT check asks the simulated BHXH gateway (sims/bhxh.py)\n"
        "[insurance]\n"
        f'base_url = "{gateway_url}"\n'
        'username = "01001_BV"\n'
        'password = "env:CCCD_BHXH_PASSWORD"\n'
        'officer_name = "env:CCCD_BHXH_OFFICER"\n'
        'officer_id = "env:CCCD_BHXH_OFFICER_ID"\n'
        f'facility_code = "{BHXH_FACILITY}"\n',
        encoding="utf-8",
    )
    return state.config_file


def _cccd(*args: str) -> list[str]:
    return [sys.executable, "-m", "cccd", *args]


class Receiver:
    """``cccd receiver`` as a child process on a free loopback port; a context manager that stops it."""

    def __init__(self, state: DemoState, env: dict[str, str]) -> None:
        self.state, self.env = state, env
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> Receiver:
        argv = _cccd("receiver", "--port", "0", "--db", str(self.state.receiver_db), "--keys",
                     str(self.state.keys), "--token-file", str(self.state.receiver_token))  # fmt: skip
        self.proc = subprocess.Popen(argv, env=self.env, text=True, stdout=subprocess.PIPE)  # noqa: S603
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_pump, args=(self.proc.stdout, lines), daemon=True).start()
        try:
            line = lines.get(timeout=RECEIVER_START_SECONDS)
        except queue.Empty:
            line = ""
        if "listening on" not in line:
            self.stop()
            raise DemoError(f"the receiver did not start (exit code {self.proc.returncode})")
        self.url = line.split()[-1]
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)  # the receiver shuts its server down and closes its database
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    def stats(self) -> dict[str, Any]:
        token = self.state.receiver_token.read_text().strip()  # reads need the token (a 0600 file)
        request = urllib.request.Request(self.url + "/stats", headers={"authorization": f"Bearer {token}"})  # noqa: S310
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback)
            data: dict[str, Any] = json.loads(response.read())
        return data


def _pump(stream: IO[str] | None, lines: queue.Queue[str]) -> None:
    """Hand the child's stdout lines over (and keep draining it so the child never blocks)."""
    if stream is None:
        return
    for line in stream:
        lines.put(line)


@dataclass(slots=True)
class Step:
    name: str
    ok: bool
    seconds: float
    note: str = ""


@dataclass(slots=True)
class HeadlessSummary:
    results: list[dict[str, Any]] = field(default_factory=list)

    @property
    def unexpected(self) -> list[dict[str, Any]]:
        return [r for r in self.results if not r.get("as_expected")]

    @property
    def verified(self) -> int:
        return sum(r.get("outcome") == "verified" for r in self.results)


def _line(r: dict[str, Any]) -> str:
    detail = f" ({', '.join(r['detail'])})" if r.get("detail") else ""
    mark = "" if r.get("as_expected") else f"   << expected {r.get('expected')}"
    insurance = f"  BHYT={r['insurance']}" if r.get("insurance") else ""
    return (f"  {r['profile']:<14} {r['scenario']:<19} {r['outcome']}{detail}"
            f"  record={r.get('record_status') or '-'}{insurance}"
            f"  {r['elapsed_ms']:.0f} ms{mark}")  # fmt: skip


def run_headless(url: str, state: DemoState, env: dict[str, str], face: str) -> tuple[int, HeadlessSummary]:
    """Every profile and scenario against the receiver; prints one line per transaction as it ends."""
    argv = _cccd("kiosk", "--headless", "--sim", "--profile", "all", "--scenario", "all", "--face", face,
                 "--deliver-to", url, "--data-dir", str(state.data), "--json")  # fmt: skip
    if state.config_file.is_file():
        argv += ["--config", str(state.config_file)]
    summary = HeadlessSummary()
    with subprocess.Popen(argv, env=env, text=True, stdout=subprocess.PIPE) as proc:  # noqa: S603
        try:
            assert proc.stdout is not None
            for raw in proc.stdout:
                try:
                    row = json.loads(raw)
                except ValueError:
                    print(raw, end="")
                    continue
                if "outcome" in row:
                    summary.results.append(row)
                    print(_line(row), flush=True)
            rc = proc.wait()
        except BaseException:
            proc.kill()
            raise
    return rc, summary


def _run(name: str, argv: list[str], env: dict[str, str], timeout: float | None = None) -> Step:
    print(f"\n== {name}\n$ {' '.join(['cccd', *argv[3:]])}", flush=True)
    t0 = time.monotonic()
    try:
        rc = subprocess.run(argv, env=env, check=False, timeout=timeout).returncode  # noqa: S603 (our own argv)
    except subprocess.TimeoutExpired:
        return Step(name, False, time.monotonic() - t0, f"did not finish in {timeout:.0f} s")
    return Step(name, rc == 0, time.monotonic() - t0, "" if rc == 0 else f"exit code {rc}")


def _tally(results: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in results:
        out[r["insurance"]] = out.get(r["insurance"], 0) + 1
    return out


def _kiosk_figures(state: DemoState) -> tuple[dict[str, int], str]:
    """The outbox counts and the audit chain's state of the demo kiosk's database."""

    store = KioskStore(state.kiosk_db, KeyStore.open(state.keys, create=False))
    try:
        counts = {k: int(v) for k, v in store.counts().items()}
        report = store.verify_audit()
    finally:
        store.close()
    audit = (f"intact, {report.entries} entries" if report.ok
             else f"TAMPERED: {report.problem} at seq {report.at_seq}")  # fmt: skip
    return counts, audit


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_fleet(state: DemoState, env: dict[str, str], scenario: str, *, stay: bool) -> Step:
    """``cccd hub demo`` (hub/demo.py): a private PostgreSQL, the hub, the reference receiver and three
    headless kiosks (hospital, bank, lodging) delivering through the hub; it prints the console's URL and a
    sign-in.  ``stay``: keep everything running until Ctrl-C (an interactive ``make demo``); otherwise it
    stops after its summary."""
    argv = _cccd("hub", "demo", "--dir", str(state.root / "fleet"), "--scenario", scenario)
    if not stay:
        argv.append("--exit")
    print(f"\n== {FLEET_STEP}", flush=True)
    t0 = time.monotonic()
    try:
        done = subprocess.run(argv, env=env, timeout=None if stay else FLEET_SECONDS,  # noqa: S603 (our argv)
                              check=False)
    except subprocess.TimeoutExpired:
        return Step("fleet hub", False, time.monotonic() - t0, f"no result within {FLEET_SECONDS:.0f} s")
    return Step("fleet hub", done.returncode == 0, time.monotonic() - t0,
                "console URL and sign-in printed above" if done.returncode == 0
                else f"exit {done.returncode} (see {state.root / 'fleet'})")  # fmt: skip


def run_demo(state_dir: Path, *, face: str, chip: bool, ui: bool, ui_step_ms: int, fleet: str = "no",
             fleet_scenario: str = "all") -> int:  # fmt: skip
    """The whole demo; returns the process exit code (0 when every step did what it should).  ``fleet``:
    ``no``, ``exit`` (the fleet demo runs and stops, within the summary) or ``stay`` (after the summary it
    keeps the hub and its console running until Ctrl-C)."""
    started = time.monotonic()
    state, secret = prepare_state(state_dir)
    gateway = BhxhGateway()
    env = dict(os.environ, CCCD_WEBHOOK_SECRET=secret, CCCD_DATA_DIR=str(state.data),
               CCCD_BHXH_PASSWORD=gateway.password, **BHXH_ENV)  # fmt: skip
    steps: list[Step] = []
    print(f"demo state: {state.root} (webhook secret and device keys kept; databases fresh)", flush=True)
    with Receiver(state, env) as receiver, BhxhServer(gateway) as bhxh:
        write_demo_config(state, bhxh.url)
        print(f"receiver: {receiver.url} -> {state.receiver_db}", flush=True)
        print(f"simulated BHXH gateway: {bhxh.url} (the hospital's BHYT check; {state.config_file})",
              flush=True)  # fmt: skip
        if chip:
            steps.append(_run(CHIP_STEP, _cccd("demo"), env))
        print(f"\n== headless kiosk: every profile and scenario, face step '{face}', delivered to the "
              "receiver", flush=True)  # fmt: skip
        t0 = time.monotonic()
        rc, headless = run_headless(receiver.url, state, env, face)
        bad = len(headless.unexpected)
        n = len(headless.results)
        note = (f"{n} transactions, {headless.verified} verified, {n - headless.verified} sent to the "
                f"counter, {bad} not as expected")  # fmt: skip
        steps.append(Step("headless kiosk", rc == 0 and bad == 0 and bool(headless.results),
                          time.monotonic() - t0, note))  # fmt: skip
        if ui:
            argv = _cccd("ui", "--sim", "--demo", "--profile", UI_PROFILE, "--face", face,
                         "--data-dir", str(state.data), "--deliver-to", receiver.url,
                         "--step-ms", str(ui_step_ms), "--config", str(state.config_file))  # fmt: skip
            steps.append(_run(UI_STEP, argv, env))
        pending, _ = _kiosk_figures(state)
        if int(pending.get("pending", 0)):
            # A delivery that met a slow receiver waits for its retry; a deployed kiosk's relay keeps running,
            # the demo runs it once more until the outbox is empty (bounded).
            relay = _cccd("outbox", "run", "--until-idle", "--deliver-to", receiver.url)
            steps.append(_run("relay: deliver what is still pending", relay, env, timeout=120))
        stats = receiver.stats()
        checks = sum(path.endswith("KQNhanLichSuKCB2024") for path, _ in gateway.calls)
        insured = [r for r in headless.results if r.get("insurance")]
        tally = ", ".join(f"{k} {v}" for k, v in sorted(_tally(insured).items()))
        steps.append(Step("BHYT check (simulated BHXH gateway)", bool(insured) and checks >= len(insured),
                          0.0, f"{checks} card checks; hospital receipts: {tally}"))  # fmt: skip
    counts, audit = _kiosk_figures(state)
    undelivered = int(counts.get("pending", 0)) + int(counts.get("dead", 0))
    steps.append(Step("delivery", undelivered == 0, 0.0, f"kiosk outbox {counts}"))
    if fleet == "exit":
        steps.append(run_fleet(state, env, fleet_scenario, stay=False))
    _print_summary(steps, stats, audit, state, time.monotonic() - started, ui)
    ok = all(s.ok for s in steps) and audit.startswith("intact")
    if fleet == "stay" and ok:
        print("\nThe fleet stays up below: open the console's URL and sign in; Ctrl-C ends the demo.",
              flush=True)
        ok = run_fleet(state, env, fleet_scenario, stay=True).ok
    return 0 if ok else 1


def _print_summary(steps: list[Step], stats: dict[str, Any], audit: str, state: DemoState, total: float,
                   ui: bool) -> None:  # fmt: skip
    print("\n== summary", flush=True)
    for s in steps:
        took = f" ({s.seconds:.1f} s)" if s.seconds else ""
        print(f"  {'ok  ' if s.ok else 'FAIL'} {s.name}{took}{': ' + s.note if s.note else ''}")
    per = ", ".join(f"{k} {v}" for k, v in sorted(stats.get("per_endpoint", {}).items())) or "none"
    print(f"  receiver stored {stats.get('deliveries', 0)} deliveries of "
          f"{stats.get('distinct_verifications', 0)} verifications "
          f"({stats.get('duplicates', 0)} duplicates refused), FHIR patients {stats.get('patients', 0)}, "
          f"provenances {stats.get('provenances', 0)}")  # fmt: skip
    print(f"  per endpoint: {per}")
    print(f"  audit log: {audit}")
    if not ui:
        print("  UI: not opened (no DISPLAY or WAYLAND_DISPLAY; `--ui yes` with QT_QPA_PLATFORM=offscreen "
              "runs it unseen)")  # fmt: skip
    print(f"  receiver database: {state.receiver_db}; kiosk state: {state.data}")
    print(f"  total {total:.1f} s", flush=True)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m cccd.fulldemo",
        description="the whole kiosk on embedded defaults (what `make demo` runs)",
    )
    p.add_argument("--state-dir", type=Path, default=DEFAULT_STATE, help="demo state (default build/demo)")
    p.add_argument("--face", default="engine", choices=("engine", "ground-truth"),
                   help="engine: the biometrics verifier on the simulated person (default); "
                   "ground-truth: no face analysis (fast)")  # fmt: skip
    p.add_argument("--no-chip", dest="chip", action="store_false",
                   help="skip the chip read through pcscd (no pcscd/vpcd needed)")  # fmt: skip
    p.add_argument("--ui", choices=("auto", "yes", "no"), default="auto",
                   help="open the touch-screen UI demo (auto: when a display exists)")  # fmt: skip
    p.add_argument("--ui-step-ms", type=int, default=1200, help="UI demo pace (milliseconds per step)")
    p.add_argument("--fleet", choices=("auto", "stay", "exit", "no"), default="auto",
                   help="the fleet hub demo (PostgreSQL, hub, three kiosks, console): stay = keep it "
                   "running until Ctrl-C, exit = run it and stop; auto: stay on a terminal, exit "
                   "otherwise")  # fmt: skip
    p.add_argument("--fleet-scenario", default="all", help="the fleet kiosks' scenario (default all)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    ui = has_display() if args.ui == "auto" else args.ui == "yes"
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    fleet = ("stay" if interactive else "exit") if args.fleet == "auto" else args.fleet
    try:
        return run_demo(args.state_dir, face=args.face, chip=args.chip, ui=ui, ui_step_ms=args.ui_step_ms,
                        fleet=fleet, fleet_scenario=args.fleet_scenario)
    except DemoError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ndemo: interrupted; the receiver was stopped", file=sys.stderr)
        return 130


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # run the clean-up (stop the receiver) on SIGTERM too


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    sys.exit(main())
