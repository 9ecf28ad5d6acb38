"""``cccd receiver`` as a process: clear messages and exit 2 for unusable arguments; no traceback ever."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from kiosk.connectors.webhooks import new_webhook_secret
from kiosk.keys import KeyStore

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    KeyStore.open(tmp_path / "data" / "keys")
    e = dict(os.environ, CCCD_WEBHOOK_SECRET=new_webhook_secret(), CCCD_DATA_DIR=str(tmp_path / "data"))
    e.pop("CCCD_RECEIVER_TOKEN", None)
    return e


def _receiver(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cccd", "receiver", *args], cwd=REPO, env=env, text=True,
                          capture_output=True, timeout=60)  # fmt: skip


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_port_out_of_range(env: dict[str, str], tmp_path: Path) -> None:
    run = _receiver("--port", "99999", "--db", str(tmp_path / "r.db"), env=env)
    assert run.returncode == 2 and "not a TCP port" in run.stderr and "Traceback" not in run.stderr
    argv = [sys.executable, "-m", "receiver", "--port", "99999"]
    alone = subprocess.run(argv, cwd=REPO, env=env, text=True, capture_output=True, timeout=60)
    assert alone.returncode == 2 and "python -m receiver" in alone.stderr  # the package runs on its own


def test_port_in_use(env: dict[str, str], tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        run = _receiver("--port", str(busy.getsockname()[1]), "--db", str(tmp_path / "r.db"), env=env)
    assert run.returncode == 2 and "already in use" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize("kind", ["directory", "missing_parent_file", "not_a_database"])
def test_unusable_database(env: dict[str, str], tmp_path: Path, kind: str) -> None:
    if kind == "directory":
        db = tmp_path
    elif kind == "missing_parent_file":
        (tmp_path / "file").write_text("x")
        db = tmp_path / "file" / "r.db"
    else:
        db = tmp_path / "junk.db"
        db.write_bytes(b"this is not SQLite" * 100)
    run = _receiver("--port", "0", "--db", str(db), env=env)
    assert run.returncode == 2 and run.stderr.startswith("receiver: ") and "Traceback" not in run.stderr


def test_ipv6_loopback_serves_or_says_why(env: dict[str, str], tmp_path: Path) -> None:
    argv = [
        sys.executable,
        "-m",
        "cccd",
        "receiver",
        "--host",
        "::1",
        "--port",
        "0",
        "--db",
        str(tmp_path / "r.db"),
    ]
    proc = subprocess.Popen(
        argv, cwd=REPO, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not _ipv6_loopback():
            assert proc.wait(30) == 2
            return
        assert "listening on http://[::1]:" in line
        assert httpx.get(line.split()[-1] + "/healthz", timeout=5).json() == {"ok": True}
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert "Traceback" not in err


def test_the_token_file_is_made_0600_and_required_for_reads(env: dict[str, str], tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "cccd", "receiver", "--port", "0", "--db", str(tmp_path / "r.db")]
    proc = subprocess.Popen(
        argv, cwd=REPO, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        url = (proc.stdout.readline() if proc.stdout else "").split()[-1]
        token_file = tmp_path / "data" / "receiver.token"
        assert oct(token_file.stat().st_mode & 0o777) == "0o600"
        token = token_file.read_text().strip()
        assert httpx.get(url + "/stats", timeout=5).status_code == 401
        assert (
            httpx.get(url + "/stats", timeout=5, headers={"authorization": f"Bearer {token}"}).status_code
            == 200
        )
        with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=5) as s:
            s.sendall(b"\x00\x01garbage\r\n\r\n")
            s.recv(100)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0 and "Traceback" not in err
    db = tmp_path / "r.db"
    assert oct(db.stat().st_mode & 0o777) == "0o600"


def test_config_file(env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "receiver.toml"
    config.write_text(f'port = 0\ndb = "{tmp_path / "from-config.db"}"\nmax_body = 4096\n')
    argv = [sys.executable, "-m", "cccd", "receiver", "--config", str(config)]
    pipe = subprocess.PIPE
    proc = subprocess.Popen(argv, cwd=REPO, env=env, text=True, stdout=pipe, stderr=pipe)
    try:
        url = (proc.stdout.readline() if proc.stdout else "").split()[-1]
        assert httpx.get(url + "/healthz", timeout=5).status_code == 200
        assert (tmp_path / "from-config.db").is_file()
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
    config.write_text("prot = 1\n")
    run = _receiver("--config", str(config), env=env)
    assert run.returncode == 2 and "unknown option 'prot'" in run.stderr
    config.write_text('port = "x"\n')
    assert _receiver("--config", str(config), env=env).returncode == 2
