"""Prometheus metrics (issue 11 §8): scraped over HTTP from running `cccd kiosk` and `cccd outbox run`
processes on 127.0.0.1, and read from node-exporter textfiles."""

from __future__ import annotations

import base64
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from cccd.cli import main
from cccd.metrics import MetricsError, MetricsExport
from kiosk.keys import KeyStore
from kiosk.profiles import Profile, load_profile
from kiosk.storage import KioskStore
from tests.helpers.delivery import make_record

REPO = Path(__file__).resolve().parents[2]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
Procs = list[subprocess.Popen[str]]


def _samples(text: str) -> Samples:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}  # fmt: skip


def _value(samples: Samples, name: str, **labels: str) -> float:
    """Sum of the samples called ``name`` whose labels include ``labels``."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= ls)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    e = dict(os.environ, CCCD_WEBHOOK_SECRET=secret, CCCD_DATA_DIR=str(tmp_path / "data"))
    e.pop("PYTHONWARNINGS", None)
    return e


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for p in started:
        if p.poll() is None:
            p.kill()
        p.communicate(timeout=10)


def _start(argv: list[str], env: dict[str, str], procs: list[subprocess.Popen[str]]) -> tuple[Any, str]:
    proc = subprocess.Popen([sys.executable, "-m", "cccd", *argv], cwd=REPO, env=env, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    procs.append(proc)
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("metrics: "):
            url = line.split()[-1]
            assert url.startswith("http://127.0.0.1:") and url.endswith("/metrics")
            return proc, url
    raise AssertionError(f"no metrics address; exit {proc.wait()}")


def test_a_running_kiosk_serves_its_metrics_on_loopback(env: dict[str, str], procs: Procs) -> None:
    # an older chip without PACE: BAC opens it (a PACE→BAC fallback), then the face step
    argv = ["kiosk", "--headless", "--sim", "--profile", "hospital", "--scenario", "no_pace", "--face",
            "ground-truth", "--runs", "60", "--metrics-port", "0"]  # fmt: skip
    proc, url = _start(argv, env, procs)
    deadline = time.monotonic() + 60
    samples: Samples = {}
    while time.monotonic() < deadline and proc.poll() is None:
        response = httpx.get(url, timeout=5)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
        samples = _samples(response.text)
        if _value(samples, "cccd_transactions_total") >= 12 and _value(samples, "cccd_face_score_count"):
            break
        time.sleep(0.2)
    assert _value(samples, "cccd_transactions_total", profile="hospital", outcome="verified") >= 12
    assert _value(samples, "cccd_chip_pace_bac_fallbacks_total", reader_model="sim") >= 12
    assert _value(samples, "cccd_chip_read_seconds_count", reader_model="sim") >= 1
    assert _value(samples, "cccd_chip_apdus_total", reader_model="sim") > 10
    assert _value(samples, "cccd_chip_status_words_total", reader_model="sim", sw="9000") > 10
    assert _value(samples, "cccd_face_capture_seconds_count") >= 1
    assert _value(samples, "cccd_face_score_count") >= 1
    assert _value(samples, "process_resident_memory_bytes") > 0  # the process collectors come along
    with pytest.raises(httpx.ConnectError):  # loopback only
        httpx.get(url.replace("127.0.0.1", _outside_address()), timeout=2)


def _outside_address() -> str:
    """An address of this host that is not loopback (the UDP connect sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1
            address = str(s.getsockname()[0])
        except OSError:
            address = "127.0.0.2"
    return address if not address.startswith("127.0.0.1") else "127.0.0.2"


def _fill(tmp_path: Path, profile: Profile, n: int) -> None:
    data = tmp_path / "data"
    store = KioskStore(data / "kiosk.db", KeyStore.open(data / "keys"))
    for _ in range(n):
        store.save_verification(make_record(profile), profile, time.time() - 30)
    store.close()


def test_the_relay_reports_backlog_and_failures_per_endpoint(tmp_path: Path, env: dict[str, str],
                                                             procs: Procs) -> None:  # fmt: skip
    """`cccd outbox run` against a receiver that refuses connections: every attempt fails and is retried;
    the backlog, its age and the failures per endpoint are scraped from the running relay."""
    _fill(tmp_path, load_profile("hospital"), 3)  # FHIR + HIS: 6 rows
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{s.getsockname()[1]}"
    data = tmp_path / "data"
    _, url = _start(["outbox", "run", "--db", str(data / "kiosk.db"), "--keys", str(data / "keys"),
                     "--deliver-to", refused, "--metrics-port", "0"], env, procs)  # fmt: skip
    deadline = time.monotonic() + 30
    samples: Samples = {}
    while time.monotonic() < deadline:
        samples = _samples(httpx.get(url, timeout=5).text)
        if _value(samples, "cccd_delivery_failures_total") >= 6:
            break
        time.sleep(0.1)
    assert _value(samples, "cccd_outbox_backlog") == 6
    assert _value(samples, "cccd_outbox_oldest_age_seconds") >= 30
    assert _value(samples, "cccd_delivery_failures_total", endpoint="hospital/fhir", reason="network") >= 3
    assert _value(samples, "cccd_delivery_failures_total", endpoint="hospital/his", reason="network") >= 3
    assert _value(samples, "cccd_deliveries_total", endpoint="hospital/his", outcome="retry") >= 3
    assert _value(samples, "cccd_delivery_seconds_count", endpoint="hospital/fhir") >= 3


def test_the_textfile_for_node_exporter(tmp_path: Path, env: dict[str, str]) -> None:
    prom = tmp_path / "cccd.prom"
    argv = [sys.executable, "-m", "cccd", "kiosk", "--headless", "--sim", "--profile", "lodging",
            "--scenario", "happy", "--face", "ground-truth", "--runs", "2",
            "--metrics-textfile", str(prom)]  # fmt: skip
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    samples = _samples(prom.read_text())
    assert _value(samples, "cccd_transactions_total", profile="lodging", outcome="verified") == 2
    assert _value(samples, "cccd_records_total", profile="lodging", status="verified") == 2
    assert not list(tmp_path.glob("*.tmp*"))  # written atomically (renamed into place)


@pytest.mark.parametrize(("argv", "message"), [
    (["--metrics-port", "99999"], "not a port number"),
    (["--metrics-textfile", "{tmp}/cccd-metrics.txt"], "only *.prom"),
    (["--metrics-textfile", "{tmp}/missing/cccd.prom"], "no such directory"),
])  # fmt: skip
def test_bad_metrics_options_exit_2(argv: list[str], message: str, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    base = ["kiosk", "--headless", "--sim", "--face", "ground-truth", "--data-dir", str(tmp_path)]
    code = main([*base, *argv])
    assert code == 2 and message in capsys.readouterr().err


def test_a_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        with pytest.raises(MetricsError, match="--metrics-port"), MetricsExport(s.getsockname()[1]):
            pass


def test_the_touch_screen_kiosk_exports_its_metrics(tmp_path: Path, env: dict[str, str],
                                                    procs: Procs) -> None:  # fmt: skip
    """`cccd ui` (offscreen, the scripted demo): the endpoint answers while the window runs; the textfile
    written at exit counts the demo's transaction."""
    prom = tmp_path / "ui.prom"
    env = dict(env, QT_QPA_PLATFORM="offscreen")
    proc, url = _start(["ui", "--sim", "--demo", "--face", "ground-truth", "--mute", "--profile", "lodging",
                        "--step-ms", "150", "--metrics-port", "0", "--metrics-textfile", str(prom)],
                       env, procs)  # fmt: skip
    response = httpx.get(url, timeout=5)
    assert response.status_code == 200 and "cccd_outbox_backlog" in response.text
    assert proc.wait(120) == 0
    samples = _samples(prom.read_text())
    assert _value(samples, "cccd_transactions_total", profile="lodging", outcome="verified") == 1
    assert _value(samples, "cccd_chip_read_seconds_count", reader_model="sim") == 1
