"""``cccd doctor``: every check of :mod:`kiosk.health` on this kiosk's configuration, and Qt's platform
libraries (:mod:`ui.platform_check`); the operator screen's cheaper subset (:class:`LiveChecks`).

Exit 0 only when every check passes (``skip`` means "not part of this configuration" and is named).
docs/deploy.md ("Health") explains each check and its fix.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from biometrics.camera import CameraSource, OpenCVCamera
from biometrics.sim.camera import SimulatedCamera
from cccd.config import LoadedConfig, secret_problems
from cccd.config import profile as configured_profile
from kiosk.config import ConfigError, KioskSettings
from kiosk.health import (
    Check,
    check_camera,
    check_camera_device,
    check_clock,
    check_data_dir,
    check_disk,
    check_endpoint,
    check_face_models,
    check_hub_agent,
    check_outbox,
    check_pcscd,
    check_readers,
    check_serial_port,
    check_tcp,
    check_trust_store,
)
from kiosk.profiles import ConnectorSettings
from kiosk.runtime.slots import SERIAL_PREFIX
from sims.people import load_profile as load_person
from ui.platform_check import PlatformCheckError, check_platform, chosen_platform

#: The platform the deployed kiosk runs on when the environment does not say (cage is a Wayland compositor,
#: deploy/systemd/cccd-kiosk.service).
DEPLOYED_PLATFORM = "wayland"


def check_config(loaded: LoadedConfig) -> Check:
    """A configuration file is in use, with a real identity, and its secret references resolve here."""
    s = loaded.settings
    if loaded.path is None:
        return Check(
            "config",
            "fail",
            "no configuration file: running on the embedded development defaults",
            "create /etc/cccd/kiosk.toml from deploy/kiosk.toml.example (cccd config check)",
        )
    if s.is_development:
        return Check("config", "fail", f"{loaded.path}: device_id/site_id are the development defaults",
                     "set [kiosk] device_id and site_id")  # fmt: skip
    missing = secret_problems(s)
    if missing:
        listed = "; ".join(f"{p.key}: {p.problem}" for p in missing)
        return Check("config", "fail", f"{loaded.path}: {listed}",
                     missing[0].fix)  # fmt: skip
    return Check(
        "config", "pass", f"{loaded.path} (from {loaded.source}): device {s.device_id}, site {s.site_id}"
    )


def check_qt(env: Mapping[str, str]) -> Check:
    """Qt's platform plugin for the screen the kiosk uses has every system library it links to."""
    platform = chosen_platform(env) or DEPLOYED_PLATFORM
    try:
        result = check_platform(platform)
    except PlatformCheckError as exc:
        return Check(
            "qt_platform", "fail", str(exc), "pip install 'cccd-kiosk[ui]'; apt-get install libc-bin"
        )
    if result.ok:
        return Check("qt_platform", "pass", result.message())
    return Check("qt_platform", "fail", result.message(), f"apt-get install {' '.join(result.packages)}",
                 {"missing": list(result.missing)})  # fmt: skip


def simulated_camera() -> CameraSource:
    """The simulated camera watching the default simulated person (``--sim``)."""
    return SimulatedCamera.live(load_person("default").face_jpeg())


def camera_opener(settings: KioskSettings, sim: bool) -> tuple[Callable[[], CameraSource], str]:
    if sim or settings.camera.sim:
        return simulated_camera, "simulated camera"
    device = settings.camera.device
    return (lambda: OpenCVCamera(device, max_frames=10)), f"camera /dev/video{device}"


def reader_check(settings: KioskSettings, sim: bool) -> Check:
    r = settings.reader
    if r.kind == "serial":
        return check_serial_port(r.port)
    if r.kind == "sim" and not sim:
        return Check(
            "reader",
            "fail",
            '[reader] kind = "sim": no real reader configured',
            'set [reader] kind = "pcsc" (or "serial") for a kiosk that serves people',
        )
    return check_readers("Virtual PCD" if sim or r.kind == "sim" else r.name)


def endpoints(loaded: LoadedConfig) -> tuple[ConnectorSettings, ...]:
    """The profile's connectors with the file's [[delivery]] endpoints applied (where records really go)."""
    try:
        return configured_profile(loaded).connectors
    except ConfigError:
        return ()  # load_config has already refused an invalid profile; nothing to check then


def endpoint_check(c: ConnectorSettings, now: datetime) -> Check:
    tls = c.tls
    return check_endpoint(c.name, c.url, ca_bundle=tls.ca_bundle if tls else None,
                          client_cert=tls.client_cert if tls else None,
                          client_key=tls.client_key if tls else None, now=now)  # fmt: skip


def reader_camera_check(settings: KioskSettings, sim: bool) -> list[Check]:
    """The reader's own camera gives frames, when the kiosk has one (``[camera] reader_device``)."""
    device = settings.camera.reader_device
    if device is None or sim or settings.camera.sim:
        return []
    return [check_camera(lambda: OpenCVCamera(device, max_frames=10), f"reader camera /dev/video{device}",
                         name="reader_camera")]  # fmt: skip


def run_checks(loaded: LoadedConfig, *, sim: bool = False, env: Mapping[str, str] | None = None,
               now: datetime | None = None) -> list[Check]:  # fmt: skip
    """Every check, in the order an IT person fixes them."""
    env = os.environ if env is None else env
    now = now or datetime.now(UTC)
    s = loaded.settings
    data = loaded.data_dir()
    opener, label = camera_opener(s, sim)
    checks = [check_config(loaded), check_clock(now), check_disk(data), check_data_dir(data),
              check_pcscd(), reader_check(s, sim), check_camera(opener, label), *reader_camera_check(s, sim),
              check_face_models(), check_trust_store(s.trust_dir, now),
              check_outbox(data / "kiosk.db", now.timestamp())]  # fmt: skip
    checks += [endpoint_check(c, now) for c in endpoints(loaded)]
    if s.hub.enabled:
        checks.append(check_hub_agent(hub_state_file(s, data), now.timestamp()))
    if s.insurance is not None:  # a hospital's BHXH gateway (docs/insurance.md; `cccd insurance check`)
        checks.append(check_endpoint("bhxh", s.insurance.base_url, now=now))
    checks.append(check_qt(env))
    return checks


def hub_state_file(settings: KioskSettings, data_dir: Path) -> Path:
    """The fleet agent's state file (hub/agent.py: ``agent.json`` in the bundle folder)."""
    return (settings.hub.bundle_dir or data_dir / "hub") / "agent.json"


class LiveChecks:
    """The operator screen's checks — the reader, the camera device, the outbox and a TCP connection to each
    delivery endpoint — run on a background thread and cached for ``ttl`` seconds, so opening the screen
    never waits for the network (the first look shows "checking…")."""

    def __init__(self, loaded: LoadedConfig, *, sim: bool, reader: str | None, camera: int,
                 data_dir: Path | None = None, ttl: float = 15.0,
                 clock: Callable[[], float] = time.monotonic,
                 reader_camera: int | None = None) -> None:  # fmt: skip
        """``reader_camera``: the reader's own camera the kiosk runs with (``None``: the file's, if any)."""
        self.loaded, self.sim, self.reader, self.camera = loaded, sim, reader, camera
        self.reader_camera = loaded.settings.camera.reader_device if reader_camera is None else reader_camera
        self.data_dir = loaded.data_dir(data_dir)
        self.ttl, self.clock = ttl, clock
        self._lock = threading.Lock()
        self._results: list[Check] = []
        self._at: float | None = None
        self._running: threading.Thread | None = None

    def compute(self) -> list[Check]:
        """The checks, now, on the calling thread."""
        if self.sim:
            checks = [
                Check("reader", "pass", "simulated card reader"),
                Check("camera", "pass", "simulated camera"),
            ]
        else:
            reader = self.reader or ""
            checks = [check_serial_port(reader[len(SERIAL_PREFIX):]) if reader.startswith(SERIAL_PREFIX)
                      else check_readers(reader), check_camera_device(self.camera)]  # fmt: skip
            if self.reader_camera is not None:
                checks.append(check_camera_device(self.reader_camera, name="reader_camera"))
        checks.append(check_outbox(self.data_dir / "kiosk.db", time.time()))
        checks += [check_tcp(c.name, c.url) for c in endpoints(self.loaded)]
        state = hub_state_file(self.loaded.settings, self.data_dir)
        if self.loaded.settings.hub.enabled or state.exists():
            checks.append(check_hub_agent(state, time.time()))
        if self.loaded.settings.insurance is not None:
            checks.append(check_tcp("bhxh", self.loaded.settings.insurance.base_url))
        return checks

    def _refresh(self) -> None:
        try:
            results = self.compute()
        except Exception as exc:  # never let a check take the operator screen down
            results = [Check("checks", "fail", f"{type(exc).__name__}: {exc}")]
        with self._lock:
            self._results, self._at, self._running = results, self.clock(), None

    def current(self, wait: float = 0.0) -> tuple[list[Check], bool]:
        """The latest results and whether they are fresh; starts a refresh when they are stale."""
        with self._lock:
            fresh = self._at is not None and self.clock() - self._at < self.ttl
            if not fresh and self._running is None:
                self._running = threading.Thread(target=self._refresh, name="operator-checks", daemon=True)
                self._running.start()
            worker = self._running
        if worker is not None and wait > 0:
            worker.join(wait)
        with self._lock:
            return list(self._results), self._at is not None and self.clock() - self._at < self.ttl


def report_lines(checks: list[Check]) -> list[str]:
    marks = {"pass": "ok  ", "fail": "FAIL", "skip": "skip"}
    out = []
    for c in checks:
        out.append(f"[{marks[c.status]}] {c.name}: {c.summary}")
        if c.status == "fail" and c.fix:
            out.append(f"       fix: {c.fix}")
    return out


def as_json(checks: list[Check]) -> dict[str, Any]:
    return {"ok": all(c.ok for c in checks), "checks": [c.to_dict() for c in checks]}
