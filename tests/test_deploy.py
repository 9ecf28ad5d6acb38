"""deploy/: the systemd units pass ``systemd-analyze verify`` without a warning; the sysusers.d and tmpfiles.d
files create the service user and its directories as docs/deploy.md says; and the user so created has
exactly the access it needs — its data directory, serial ports (dialout), cameras (video), pcscd's socket —
and no more (a root-only secret stays closed).

What a container cannot show (documented in docs/deploy.md, "What was tried"): systemd as PID 1 starting the
units, a logind seat for cage, real DRM/input devices.  The unit paths /opt/cccd/current/bin/cccd and
/usr/bin/cage are replaced by this checkout's ``cccd`` script for ``verify`` (which checks that every command
is executable) — the only change made to the units.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.health import check_data_dir

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
UNITS = sorted((DEPLOY / "systemd").iterdir())
CCCD = Path(sys.executable).parent / "cccd"
ROOT = os.geteuid() == 0


def _run(*cmd: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False, **kw)  # type: ignore[call-overload, no-any-return]


def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    assert shutil.which("systemd-analyze"), (
        "systemd-analyze is missing (scripts/ensure-system.sh installs systemd)"
    )
    assert Path("/usr/bin/cage").is_file(), "cage is missing (scripts/ensure-system.sh installs it)"
    assert Path("/usr/bin/Xwayland").is_file(), "Xwayland is missing: cage cannot start without it"
    assert CCCD.is_file(), f"{CCCD}: the cccd entry point of this environment (pip install -e .)"
    names = {u.name for u in UNITS}
    assert names == {"cccd-kiosk.service", "cccd-relay.service", "cccd-purge.service", "cccd-purge.timer"}
    for unit in UNITS:
        (tmp_path / unit.name).write_text(unit.read_text().replace("/opt/cccd/current/bin/cccd", str(CCCD)))
    r = _run("systemd-analyze", "verify", *(str(tmp_path / u.name) for u in UNITS),
             env={**os.environ, "SYSTEMD_LOG_LEVEL": "notice"})  # fmt: skip
    assert r.returncode == 0, r.stderr
    ours = [line for line in r.stderr.splitlines() if "cccd" in line]
    assert ours == [], ours  # verify exits 0 even on an unknown key: every warning about our units fails


def test_units_say_what_the_deployment_needs() -> None:
    kiosk = (DEPLOY / "systemd/cccd-kiosk.service").read_text()
    assert "User=cccd" in kiosk and "PAMName=cccd-kiosk" in kiosk  # cage refuses root; logind gives the seat
    assert "ExecStart=/usr/bin/cage -d -- /opt/cccd/current/bin/cccd ui --kiosk" in kiosk
    assert "ExecStartPre=/opt/cccd/current/bin/cccd config check" in kiosk
    relay = (DEPLOY / "systemd/cccd-relay.service").read_text()
    assert (
        "ExecStart=/opt/cccd/current/bin/cccd outbox run" in relay and "ReadWritePaths=/var/lib/cccd" in relay
    )
    purge = (DEPLOY / "systemd/cccd-purge.service").read_text()
    assert "ExecStart=/opt/cccd/current/bin/cccd outbox purge" in purge and "PrivateNetwork=yes" in purge
    assert "OnCalendar=" in (DEPLOY / "systemd/cccd-purge.timer").read_text()
    for unit in UNITS:
        if unit.suffix == ".service":
            assert "User=cccd" in unit.read_text() and "UMask=0077" in unit.read_text(), unit.name


@pytest.fixture
def altroot() -> Iterator[Path]:
    """An alternative root with this machine's account files (systemd-sysusers --root / tmpfiles --root)."""
    root = Path(tempfile.mkdtemp(prefix="cccd-root-"))
    (root / "etc").mkdir()
    for name in ("passwd", "group", "shadow", "gshadow"):
        if Path("/etc", name).exists():
            shutil.copy(Path("/etc", name), root / "etc" / name)
    yield root
    shutil.rmtree(root)


def test_sysusers_and_tmpfiles_in_an_alternative_root(altroot: Path) -> None:
    r = _run("systemd-sysusers", f"--root={altroot}", str(DEPLOY / "sysusers.d/cccd.conf"))
    assert r.returncode == 0, r.stderr
    users = {
        line.split(":")[0]: line.split(":") for line in (altroot / "etc/passwd").read_text().splitlines()
    }
    groups = {
        line.split(":")[0]: line.split(":") for line in (altroot / "etc/group").read_text().splitlines()
    }
    cccd = users["cccd"]
    assert int(cccd[2]) < 1000 and cccd[5] == "/var/lib/cccd" and cccd[6] == "/usr/sbin/nologin"
    assert "cccd" in groups["dialout"][3].split(",") and "cccd" in groups["video"][3].split(",")
    assert groups["cccd"][2] == cccd[3]
    if not ROOT:
        pytest.fail("tmpfiles --create (chown) and the user checks below need root; `make test` runs as root")
    r = _run("systemd-tmpfiles", f"--root={altroot}", "--create", str(DEPLOY / "tmpfiles.d/cccd.conf"))
    assert r.returncode == 0, r.stderr
    wanted = (("var/lib/cccd", 0o700, "cccd", "cccd"), ("etc/cccd", 0o750, "root", "cccd"),
              ("etc/cccd/trust", 0o750, "root", "cccd"))
    for path, mode, owner, group in wanted:
        st = (altroot / path).stat()
        assert stat.S_IMODE(st.st_mode) == mode, path
        assert st.st_uid == (int(cccd[2]) if owner == "cccd" else 0), path
        assert st.st_gid == int(groups[group][2]), path


@pytest.fixture(scope="module")
def service_user() -> pwd.struct_passwd:
    """The real service user, created by the shipped sysusers.d file (idempotent) — root only."""
    if not ROOT:
        pytest.fail("creating the service user needs root; `make test` runs as root")
    r = _run("systemd-sysusers", str(DEPLOY / "sysusers.d/cccd.conf"))
    assert r.returncode == 0, r.stderr
    return pwd.getpwnam("cccd")


def _as_cccd(script: str) -> subprocess.CompletedProcess[str]:
    """``script`` run by the service user with the system's python3 (stdlib only: no venv to reach)."""
    return _run("runuser", "-u", "cccd", "--", "/usr/bin/python3", "-c", script)


def _probe(path: Path) -> str:
    return f"""
import os, sys
try:
    os.close(os.open({str(path)!r}, os.O_RDWR))
    print("open")
except PermissionError:
    print("denied")
"""


def test_the_service_user_has_exactly_the_access_it_needs(service_user: pwd.struct_passwd) -> None:
    groups = {g.gr_name for g in grp.getgrall() if "cccd" in g.gr_mem}
    assert {"dialout", "video"} <= groups
    assert service_user.pw_dir == "/var/lib/cccd" and service_user.pw_shell == "/usr/sbin/nologin"
    top = Path(tempfile.mkdtemp(prefix="cccd-perm-"))
    try:
        top.chmod(0o755)
        data = top / "data"
        data.mkdir(mode=0o700)
        os.chown(data, service_user.pw_uid, service_user.pw_gid)
        devices = {}
        for name, group in (("ttyUSB-standin", "dialout"), ("video-standin", "video"), ("other-dev", "root")):
            dev = top / name
            dev.write_bytes(b"")
            os.chown(dev, 0, grp.getgrnam(group).gr_gid)
            dev.chmod(0o660)  # what udev gives /dev/ttyUSB* (dialout) and /dev/video* (video)
            devices[name] = dev
        secret = top / "kiosk.env"
        secret.write_text("CCCD_WEBHOOK_SECRET=whsec_x\n")
        secret.chmod(0o600)  # read by systemd (root) for the units' environment, never by the user
        assert _as_cccd(_probe(devices["ttyUSB-standin"])).stdout.strip() == "open"
        assert _as_cccd(_probe(devices["video-standin"])).stdout.strip() == "open"
        assert _as_cccd(_probe(devices["other-dev"])).stdout.strip() == "denied"
        assert _as_cccd(_probe(secret)).stdout.strip() == "denied"
        r = _as_cccd(f"""
import os
fd = os.open({str(data / "kiosk.db")!r}, os.O_RDWR | os.O_CREAT, 0o600)
os.close(fd)
os.mkdir({str(data / "keys")!r}, 0o700)
print(oct(os.stat({str(data)!r}).st_mode & 0o777))
""")
        assert r.returncode == 0 and r.stdout.strip() == "0o700", r.stderr
        assert check_data_dir(data, uid=service_user.pw_uid).status == "pass"  # what cccd doctor checks
        assert check_data_dir(data, uid=0).status == "fail"  # files the service user cannot own
        data.chmod(0o755)
        assert _as_cccd(_probe(data / "kiosk.db")).stdout.strip() == "open"
    finally:
        shutil.rmtree(top)


@pytest.mark.pcsc
def test_the_service_user_reaches_pcscd(service_user: pwd.struct_passwd) -> None:
    r = _as_cccd("""
import socket
s = socket.socket(socket.AF_UNIX)
s.connect("/run/pcscd/pcscd.comm")
print("connected")
""")
    assert r.stdout.strip() == "connected", r.stderr
