"""The kiosk's fleet agent (hub/agent.py, composed by cccd/fleet.py) against the real hub on PostgreSQL:
heartbeats from a running headless kiosk, bundles applied only between transactions, tampered and unusable
bundles refused and reported, a hub outage, a clean stop (docs/hub.md, "The kiosk's fleet agent")."""

from __future__ import annotations

import base64
import json
import logging
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from cccd import __version__
from cccd.cli import main
from cccd.compose import Kiosk, KioskConfig
from cccd.fleet import Fleet, FleetLink
from cccd.headless import SCENARIOS, FlowResult, ScriptedUser, build_scenario_kiosk, run_flow
from hub import admin
from hub.agent import MAX_HEARTBEAT_BYTES, AgentSettings, FleetAgent, fit
from hub.client import Enrolment, enrol
from hub.kioskstatus import check_heartbeat
from kiosk.keys import KeyStore
from kiosk.metrics import HUB_AGENT_FAILURES, HUB_BUNDLE_VERSION
from sims.personalize import card_image
from sims.pki import TestPKI
from tests.hub.helpers import RunningHub, add_site, settings_for, token

REPO = Path(__file__).resolve().parents[2]
SITE = "site-hn-01"
FAST = AgentSettings(heartbeat_seconds=0.2, bundle_seconds=0.2, timeout_seconds=2.0, max_backoff_seconds=1.0)


def wait_for(what: str, condition: Callable[[], Any], seconds: float = 8.0) -> Any:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def last_heartbeat(dsn: str, kiosk_id: str) -> dict[str, Any]:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT last_heartbeat FROM kiosks WHERE kiosk_id = %s", (kiosk_id,)).fetchone()
    return dict(row[0] or {}) if row else {}


def beat_with(dsn: str, kiosk_id: str, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The kiosk's last heartbeat at the hub, once ``check`` holds for it."""
    def seen() -> dict[str, Any] | None:
        beat = last_heartbeat(dsn, kiosk_id)
        return beat if beat and check(beat) else None

    found: dict[str, Any] = wait_for("a heartbeat", seen)
    return found


def heartbeats(dsn: str, kiosk_id: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM heartbeats WHERE kiosk_id = %s", (kiosk_id,)).fetchone()
    return int(row[0]) if row else 0


def publish(dsn: str, **bundle: Any) -> int:
    """A bundle change through the hub's admin path (the console's and `cccd hub` commands' code)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        return admin.update_site_bundle(conn, "test", SITE, **bundle)


def csca_entry(der: bytes, name: str) -> dict[str, str]:
    return {"name": name, "kind": "csca", "der_b64": base64.b64encode(der).decode()}


class Site:
    """A hub, an enrolled kiosk's data folder, and the agent and link of a running in-process kiosk."""

    def __init__(self, dsn: str, tmp: Path, kiosk_id: str = "kiosk-agent-1", port: int = 0) -> None:
        self.dsn, self.tmp, self.kiosk_id = dsn, tmp, kiosk_id
        self.hub = RunningHub(settings_for(dsn, tmp), port=port)
        self.data = tmp / kiosk_id
        self.enrolment = enrol(self.hub.url, token(dsn, SITE), kiosk_id, KeyStore.open(self.data / "keys"))
        self.fleet: Fleet | None = None
        self.kiosk: Kiosk | None = None

    def run(self, settings: AgentSettings = FAST, http: httpx.Client | None = None) -> FleetLink:
        config = KioskConfig(self.data, device_id=self.kiosk_id, site_id=SITE, relay_interval=0,
                             deliver_to=f"{self.hub.url}/v1/kiosks/{self.kiosk_id}")  # fmt: skip
        self.kiosk, self.card = build_scenario_kiosk(SCENARIOS["happy"], "hospital", config)
        agent = FleetAgent(self.enrolment, self.data / "hub", settings, version="cccd-kiosk/test", http=http)
        self.fleet = Fleet(agent, self.data).start()
        return self.fleet.attach(self.kiosk)

    @property
    def agent(self) -> FleetAgent:
        assert self.fleet is not None
        return self.fleet.agent

    def transaction(self, on_state: Callable[[Any], None] | None = None) -> FlowResult:
        assert self.kiosk is not None
        scenario = SCENARIOS["happy"]
        result = run_flow(self.kiosk, ScriptedUser(scenario, self.card), scenario, on_state=on_state)
        self.kiosk.runner.drain_storage()
        return result

    def close(self) -> None:
        if self.fleet is not None:
            self.fleet.stop()
        if self.kiosk is not None:
            self.kiosk.close()
        self.hub.stop()


@pytest.fixture
def site(clean_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    add_site(clean_db, SITE)
    s = Site(clean_db, tmp_path)
    monkeypatch.setenv("CCCD_WEBHOOK_SECRET", s.enrolment.webhook_secret)
    yield s
    s.close()


def test_headless_kiosk_reports_its_backlog_and_version(
    clean_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`cccd kiosk --headless --sim` with the agent: heartbeats every 0.2 s while it runs, the hub shows it
    online with its version and the backlog of records its outbox could not deliver (a closed port)."""
    add_site(clean_db, SITE)
    hub = RunningHub(settings_for(clean_db, tmp_path))
    try:
        data = tmp_path / "kiosk"
        enrolment = enrol(hub.url, token(clean_db, SITE), "kiosk-cli-1", KeyStore.open(data / "keys"))
        enrolment.save(tmp_path / "enrolment.json")
        monkeypatch.setenv("CCCD_WEBHOOK_SECRET", enrolment.webhook_secret)
        rc = main(["kiosk", "--headless", "--sim", "--profile", "hospital", "--face", "ground-truth",
                   "--runs", "2", "--data-dir", str(data), "--device-id", "kiosk-cli-1", "--site-id", SITE,
                   "--deliver-to", "http://127.0.0.1:9/v1", "--drain-seconds", "0", "--json",
                   "--hub-enrolment", str(tmp_path / "enrolment.json"), "--hub-interval", "0.2"])  # fmt: skip
        assert rc == 1  # the records stay in the outbox (nobody listens on port 9): the backlog below
        beat = last_heartbeat(clean_db, "kiosk-cli-1")
        assert beat["version"] == f"cccd-kiosk/{__version__}"
        assert beat["outbox_backlog"] == 4  # two records × two hospital connectors (HIS webhook, FHIR)
        assert beat["bundle_etag"].startswith('"') and "bundle_error" not in beat
        assert beat["trust_store"]["certificates"] == 1 and beat["trust_store"]["source"] == "local"
        assert heartbeats(clean_db, "kiosk-cli-1") >= 2  # the first one and the last, at the stop
        capsys.readouterr()
        assert main(["hub", "--dsn", clean_db, "kiosks"]) == 0
        row = json.loads(capsys.readouterr().out.splitlines()[0])
        assert row["kiosk_id"] == "kiosk-cli-1" and row["state"] == "online"
        assert row["version"] == f"cccd-kiosk/{__version__}"
        state = json.loads((data / "hub" / "agent.json").read_text())
        assert state["last_heartbeat_ok"] and state["bundle_version"] == 1 and state["applied_version"] == 1
        assert stat.S_IMODE((data / "hub" / "agent.json").stat().st_mode) == 0o600
        other = ["--device-id", "other-kiosk", "--site-id", SITE]
        assert main(["kiosk", "--headless", "--sim", "--data-dir", str(data), *other,
                     "--hub-enrolment", str(tmp_path / "enrolment.json")]) == 2  # fmt: skip
        assert "is for kiosk kiosk-cli-1" in capsys.readouterr().err
    finally:
        hub.stop()


def test_bundle_applies_between_transactions_only(site: Site) -> None:
    link = site.run()
    wait_for("the first bundle", lambda: link.pending is not None or link.active is not None)
    first = site.transaction()
    assert first.outcome == "verified" and link.active is not None and link.active.version == 1
    other_csca = TestPKI.generate(csca_key="secp256r1", ds_key="secp256r1", seed=b"fleet-agent").csca_der
    seen: list[tuple[str, tuple[str, ...]]] = []
    kiosk = site.kiosk
    assert kiosk is not None

    def mid_transaction(session: Any) -> None:
        seen.append((session.state.value, kiosk.driver.config.languages))
        if session.state.value == "consent" and len(seen) < 4:
            # published while a person is at the consent screen: pulled at once, held until the end
            publish(site.dsn, settings={"language": "en"}, trust_store=[csca_entry(other_csca, "csca-other")])
            wait_for("bundle v2 pulled", lambda: link.pending is not None and link.pending.version == 2)

    current = site.transaction(mid_transaction)
    assert current.chip_verdict == "authentic"  # the current transaction kept the trust store it started with
    assert {langs for _, langs in seen} == {("vi", "en")}
    assert link.active is not None and link.active.version == 1 and link.pending is not None
    seen.clear()
    following = site.transaction(lambda s: seen.append((s.state.value, kiosk.driver.config.languages)))
    assert link.active.version == 2 and link.pending is None
    assert {langs for _, langs in seen} == {("en", "vi")}  # the bundle's language first
    # the bundle's trust store does not hold this card's CSCA (the hospital profile accepts that verdict)
    assert following.chip_verdict == "inconclusive" and following.chip_reasons == ("CSCA_UNKNOWN",)
    assert HUB_BUNDLE_VERSION._value.get() == 2
    # the site's real CSCA distributed by the hub: trusted again from the next transaction
    publish(site.dsn, trust_store=[csca_entry(card_image("default").pki.csca_der, "csca-vn")])
    wait_for("bundle v3 pulled", lambda: link.pending is not None and link.pending.version == 3)
    assert site.transaction().chip_verdict == "authentic"
    beat = beat_with(site.dsn, site.kiosk_id, lambda b: b.get("trust_store", {}).get("source") == "bundle v3")
    assert beat["trust_store"]["certificates"] == 1 and beat["bundle_etag"] == link.active.etag


class Tampering(httpx.HTTPTransport):
    """A man in the middle between the kiosk and the real hub: it rewrites the bundle's payload (a setting
    changed) and keeps the hub's signature, which then no longer matches."""

    def __init__(self) -> None:
        super().__init__()
        self.on = threading.Event()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if not (self.on.is_set() and request.url.path.endswith("/bundle") and response.status_code == 200):
            return response
        head, payload, signature = response.read().split(b".")
        content = json.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
        content["settings"] = {"language": "en"}
        forged = base64.urlsafe_b64encode(json.dumps(content).encode()).rstrip(b"=")
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return httpx.Response(200, headers=headers, content=b".".join((head, forged, signature)))


def test_tampered_and_unusable_bundles_refused_and_reported(site: Site) -> None:
    tamper = Tampering()
    link = site.run(http=httpx.Client(transport=tamper, timeout=2.0, trust_env=False))
    wait_for("bundle v1", lambda: site.agent.bundle is not None)
    tamper.on.set()
    publish(site.dsn, settings={"language": "vi"})  # v2, forged on its way
    beat = beat_with(site.dsn, site.kiosk_id, lambda b: "bundle_error" in b)
    assert "signature not valid" in beat["bundle_error"]
    assert site.agent.bundle is not None and site.agent.bundle.version == 1  # the last good one stays
    assert json.loads((site.data / "hub" / "bundle.json").read_text())["content"]["version"] == 1
    assert site.transaction().outcome == "verified"  # the kiosk serves on v1
    assert link.active is not None and link.active.version == 1 and link.active.language is None
    assert HUB_AGENT_FAILURES.labels("refused")._value.get() >= 1
    tamper.on.clear()
    wait_for("v2 taken", lambda: site.agent.bundle is not None and site.agent.bundle.version == 2)
    wait_for("the refusal cleared", lambda: "bundle_error" not in last_heartbeat(site.dsn, site.kiosk_id))
    # signed by the hub but unusable here: a trust store entry that is no certificate
    publish(site.dsn, trust_store=[{"name": "broken", "kind": "csca", "der_b64": "MAA="}])
    beat = beat_with(site.dsn, site.kiosk_id, lambda b: "trust store" in b.get("bundle_error", ""))
    assert "trust store entry broken" in beat["bundle_error"]
    assert site.agent.bundle.version == 2
    assert site.transaction().outcome == "verified" and link.active.version == 2


def test_hub_outage_kiosk_goes_on_and_agent_retries(
    clean_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    add_site(clean_db, SITE)
    s = Site(clean_db, tmp_path)
    monkeypatch.setenv("CCCD_WEBHOOK_SECRET", s.enrolment.webhook_secret)
    port = s.hub.port
    try:
        s.run()
        wait_for("a heartbeat", lambda: s.agent.last_heartbeat_ok)
        s.hub.stop()  # the hub goes away
        down = time.time()
        results = [s.transaction(), s.transaction()]
        assert [r.outcome for r in results] == ["verified", "verified"]  # the kiosk serves on
        wait_for("three failed heartbeats", lambda: s.agent.failures["heartbeat"] >= 3)
        assert s.agent.running and s.agent.snapshot()["heartbeat_failures_in_a_row"] >= 3
        warned = [r for r in caplog.records if getattr(r, "event", None) == "hub.heartbeat_failed"]
        assert warned and warned[-1].levelname == "WARNING" and warned[-1].__dict__["failures_in_a_row"] >= 1
        assert s.agent.bundle is not None and s.agent.bundle.version == 1  # the last good bundle stays
        assert s.kiosk is not None and s.kiosk.store.counts().get("pending") == 4  # kept for the hub
        s.hub = RunningHub(settings_for(clean_db, tmp_path), port=port)  # the hub is back
        wait_for("a heartbeat after the outage", lambda: (s.agent.last_heartbeat_ok or 0) > down)
        beat = last_heartbeat(clean_db, s.kiosk_id)
        assert any(e.startswith("heartbeat: ConnectError") for e in beat["last_errors"])  # the outage told
        assert beat["outbox_backlog"] == 4 and s.agent.snapshot()["heartbeat_failures_in_a_row"] == 0
    finally:
        s.close()


def test_clean_stop(site: Site) -> None:
    link = site.run()
    wait_for("a heartbeat", lambda: site.agent.last_heartbeat_ok)
    # an error the kiosk logged reaches the hub in the next heartbeat (once)
    logging.getLogger("kiosk.flow").error("effect StartChipRead failed: %s", "RuntimeError")
    beat_with(site.dsn, site.kiosk_id, lambda b: "kiosk.flow: effect StartChipRead failed: RuntimeError"
              in b.get("last_errors", []))  # fmt: skip
    before = heartbeats(site.dsn, site.kiosk_id)
    assert site.fleet is not None and site.kiosk is not None
    agent = site.agent
    t0 = time.monotonic()
    site.fleet.stop()
    site.fleet = None
    assert time.monotonic() - t0 < 3.0
    assert not any(t.name == "hub-agent" for t in threading.enumerate())
    assert heartbeats(site.dsn, site.kiosk_id) > before  # the last heartbeat at the stop
    assert link.apply_pending not in site.kiosk.driver.idle_hooks
    assert agent.client.http.is_closed and not agent.running
    state = json.loads((site.data / "hub" / "agent.json").read_text())
    assert state["last_heartbeat_ok"] and state["failures"]["heartbeat"] == 0
    # started again while the hub is away: the last good bundle is offered at once
    site.hub.stop()
    again = FleetAgent(site.enrolment, site.data / "hub", FAST, version="cccd-kiosk/test")
    fleet = Fleet(again, site.data).start()
    try:
        relinked = fleet.attach(site.kiosk)
        assert relinked.pending is not None and relinked.pending.version == 1
        site.kiosk.driver.process(0.0)  # the attract loop: taken over
        assert relinked.active is not None and relinked.active.version == 1
    finally:
        fleet.stop()


def test_enrolment_file_round_trip(tmp_path: Path) -> None:
    """The file `cccd hub enrol --out` writes is the one the kiosk's [hub] enrolment names (0600)."""
    e = Enrolment("http://127.0.0.1:1", "k-1", SITE, "whsec_" + base64.b64encode(b"k" * 32).decode(), {})
    e.save(tmp_path / "e.json")
    assert Enrolment.load(tmp_path / "e.json") == e
    assert stat.S_IMODE((tmp_path / "e.json").stat().st_mode) == 0o600


@pytest.mark.slow  # an offscreen Qt demo: about 5 s
def test_the_ui_kiosk_reports_with_its_doctor_checks(clean_db: str, tmp_path: Path) -> None:
    """`cccd ui --sim --demo` (offscreen) configured by a kiosk.toml with [hub]: its heartbeats carry the
    operator screen's live checks as ``doctor``."""
    add_site(clean_db, "site-ks-01", "lodging")
    hub = RunningHub(settings_for(clean_db, tmp_path))
    try:
        data = tmp_path / "ui-kiosk"
        enrolment = enrol(hub.url, token(clean_db, "site-ks-01"), "ks-ui-1", KeyStore.open(data / "keys"))
        enrolment.save(tmp_path / "enrolment.json")
        config = tmp_path / "kiosk.toml"
        config.write_text(f'[kiosk]\ndevice_id = "ks-ui-1"\nsite_id = "site-ks-01"\nprofile = "lodging"\n'
                          f'data_dir = "{data}"\n[reader]\nkind = "sim"\n[camera]\ndevice = "sim"\n'
                          f'[hub]\nenrolment = "{tmp_path / "enrolment.json"}"\nheartbeat_seconds = 0.2\n'
                          f'bundle_seconds = 0.2\n')  # fmt: skip
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
        r = subprocess.run([sys.executable, "-m", "cccd", "ui", "--config", str(config), "--sim", "--face",
                            "ground-truth", "--demo", "--mute", "--step-ms", "100"], cwd=REPO, env=env,
                           text=True, capture_output=True, timeout=120)  # fmt: skip
        assert r.returncode == 0, r.stderr[-2000:]
        beat = beat_with(clean_db, "ks-ui-1", lambda b: "doctor" in b)
        assert beat["version"] == f"cccd-kiosk/{__version__}" and beat["reader"]["status"] == "pass"
        assert {c["name"] for c in beat["doctor"]["checks"]} >= {"reader", "camera", "outbox"}
        state = json.loads((data / "hub" / "agent.json").read_text())
        assert state["applied_version"] == 1 and state["failures"]["apply"] == 0
    finally:
        hub.stop()


def test_a_staying_kiosk_process_stops_cleanly_on_sigterm(clean_db: str, tmp_path: Path) -> None:
    """`cccd kiosk --stay`: after its run the agent goes on reporting; SIGTERM ends it with a last
    heartbeat and exit code 0."""
    add_site(clean_db, SITE)
    hub = RunningHub(settings_for(clean_db, tmp_path))
    proc: subprocess.Popen[str] | None = None
    try:
        data = tmp_path / "kiosk"
        enrol(hub.url, token(clean_db, SITE), "kiosk-stay-1", KeyStore.open(data / "keys")).save(
            tmp_path / "enrolment.json"
        )
        env = dict(os.environ, PYTHONPATH=str(REPO))
        argv = [sys.executable, "-m", "cccd", "kiosk", "--headless", "--sim", "--face", "ground-truth",
                "--profile", "hospital", "--data-dir", str(data), "--device-id", "kiosk-stay-1", "--site-id",
                SITE, "--json", "--stay", "--hub-enrolment", str(tmp_path / "enrolment.json"),
                "--hub-interval", "0.2"]  # fmt: skip
        proc = subprocess.Popen(argv, cwd=REPO, env=env, text=True, stdout=subprocess.PIPE)
        assert proc.stdout is not None
        lines = [json.loads(proc.stdout.readline()) for _ in range(2)]
        assert lines[0]["outcome"] == "verified" and lines[1] == {"staying": True, "exit_code": 0}
        now = heartbeats(clean_db, "kiosk-stay-1")
        wait_for("heartbeats while staying", lambda: heartbeats(clean_db, "kiosk-stay-1") >= now + 2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        state = json.loads((data / "hub" / "agent.json").read_text())
        assert state["failures"]["heartbeat"] == 0 and state["last_heartbeat_ok"] > time.time() - 5
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        hub.stop()


def test_a_heartbeat_fits_the_hubs_limit() -> None:
    """The agent trims an oversized heartbeat (the doctor's checks first, then the oldest errors) rather
    than have every heartbeat refused."""
    checks = [{"name": f"endpoint:{i}", "status": "fail", "summary": "x" * 200} for i in range(100)]
    body = fit({"version": "v", "doctor": {"ok": False, "checks": checks}, "last_errors": ["e" * 500] * 20})
    assert len(json.dumps(body)) <= MAX_HEARTBEAT_BYTES and body["doctor"]["truncated"] is True
    assert check_heartbeat(body) is body and body["last_errors"]
