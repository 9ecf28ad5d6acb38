"""The fleet agent composed into a running kiosk (docs/hub.md, "The kiosk's fleet agent").

``kiosk.toml``'s ``[hub]`` (or ``--hub-enrolment``) names the enrolment file of ``cccd hub enrol``; then
``cccd ui`` and ``cccd kiosk --headless`` start one :class:`hub.agent.FleetAgent` per process
(:func:`start_fleet`) and link it to the kiosk that runs (:class:`FleetLink`, one per built kiosk):

* the link tells the agent what the heartbeat carries: the reader, camera and trust store in use, the
  outbox backlog (read through its own read-only connection, :func:`kiosk.health.check_outbox`), the
  operator screen's live checks when there are any (``doctor``), and the last errors the kiosk logged;
* a bundle the agent took is kept *pending* and applied by the flow driver's idle hook
  (:attr:`kiosk.runtime.runner.FlowDriver.idle_hooks`: the attract loop, between transactions), once the
  last transaction's storage work is done — the profile (its delivery endpoints stay the kiosk's own: a
  bundle never redirects records), the trust store (the kiosk's own when the bundle has none) and the
  settings take effect for the next transaction, never the current one.  The hook only swaps references:
  it never waits (the UI's thread drives the flow).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cccd.compose import Kiosk, KioskConfig
from hub.agent import AgentSettings, FleetAgent
from hub.client import Enrolment
from hub.kioskbundle import KioskBundle
from kiosk.config import MAX_HEARTBEAT_SECONDS, HubLink, KioskSettings
from kiosk.health import Check, check_outbox

log = logging.getLogger("cccd.fleet")


class FleetError(Exception):
    """The ``[hub]`` configuration cannot be used (the message names what and the fix)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--hub-enrolment", type=Path, metavar="FILE",
                        help="report to the fleet hub of this enrolment (cccd hub enrol --out FILE): "
                        "heartbeats and the site's bundle; default: kiosk.toml [hub] enrolment")  # fmt: skip
    parser.add_argument("--hub-interval", type=float, metavar="S",
                        help="seconds between heartbeats and between bundle requests (development, demos; "
                        "default: kiosk.toml [hub] heartbeat_seconds / bundle_seconds)")  # fmt: skip


def hub_link(
    settings: KioskSettings, enrolment: Path | None = None, interval: float | None = None
) -> HubLink:
    """The file's ``[hub]`` with the command line's overrides."""
    link = settings.hub
    if enrolment is not None:
        link = dataclasses.replace(link, enrolment=enrolment)
    if interval is not None:
        if not 0 < interval <= MAX_HEARTBEAT_SECONDS:
            raise FleetError(f"--hub-interval {interval:g}: seconds in (0, {MAX_HEARTBEAT_SECONDS:g}]")
        link = dataclasses.replace(link, heartbeat_seconds=interval, bundle_seconds=interval)
    return link


class ErrorTail(logging.Handler):
    """The last errors the kiosk's own loggers wrote (their messages carry no personal data; the
    heartbeat redacts them once more), for the heartbeat's ``last_errors``."""

    def __init__(self, size: int = 10) -> None:
        super().__init__(logging.ERROR)
        self.lines: deque[str] = deque(maxlen=size)

    def take(self) -> list[str]:
        """The lines so far (then forgotten: the heartbeat reports each once)."""
        lines = list(self.lines)
        self.lines.clear()
        return lines

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(f"{record.name}: {record.getMessage()}"[:300])
        except Exception:  # noqa: S110 (a log line that cannot be formatted is not worth a failure)
            pass


class Fleet:
    """One agent per process and the link to the kiosk that runs now."""

    def __init__(self, agent: FleetAgent, data_dir: Path,
                 checks: Callable[[], list[Check]] | None = None) -> None:  # fmt: skip
        self.agent, self.data_dir, self.checks = agent, data_dir, checks
        self.errors = ErrorTail()
        self.link: FleetLink | None = None

    def start(self) -> Fleet:
        for name in ("kiosk", "reader", "biometrics", "cccd"):
            logging.getLogger(name).addHandler(self.errors)
        self.agent.attach(OutboxOnly(self.data_dir, errors=self.errors))
        self.agent.start()
        return self

    def attach(self, kiosk: Kiosk) -> FleetLink:
        link = FleetLink(kiosk, self.data_dir, self.agent, checks=self.checks, errors=self.errors)
        self.link = link
        self.agent.attach(link)
        return link

    def detach(self) -> None:
        """No kiosk runs now (between the kiosks of a headless run, at the end): the heartbeat still says
        the outbox backlog; the bundle waits for the next kiosk."""
        if self.link is None:
            return
        self.agent.detach(self.link)
        try:
            known = {k: v for k, v in self.link.figures().items() if k in KEPT_BETWEEN_KIOSKS}
        except Exception:  # the figures are a courtesy: the backlog is read fresh anyway
            known = {}
        self.link.close()
        self.link = None
        self.agent.attach(OutboxOnly(self.data_dir, known, self.errors))

    def stop(self) -> None:
        self.detach()
        self.agent.stop()
        for name in ("kiosk", "reader", "biometrics", "cccd"):
            logging.getLogger(name).removeHandler(self.errors)


def start_fleet(settings: KioskSettings, config: KioskConfig, *, enrolment: Path | None = None,
                interval: float | None = None,
                checks: Callable[[], list[Check]] | None = None) -> Fleet | None:  # fmt: skip
    """The running fleet agent, or ``None`` when no hub is configured; :class:`FleetError` when the
    enrolment cannot be read or is another kiosk's."""
    link = hub_link(settings, enrolment, interval)
    if link.enrolment is None:
        return None
    try:
        enrolled = Enrolment.load(link.enrolment)
    except FileNotFoundError:
        raise FleetError(f"hub enrolment {link.enrolment} does not exist: run cccd hub enrol --out "
                         f"{link.enrolment} first") from None  # fmt: skip
    except (OSError, ValueError, TypeError) as exc:
        raise FleetError(f"hub enrolment {link.enrolment} is not readable ({type(exc).__name__}): "
                         "enrol again with cccd hub enrol") from None  # fmt: skip
    if (enrolled.kiosk_id, enrolled.site_id) != (config.device_id, config.site_id):
        raise FleetError(f"hub enrolment {link.enrolment} is for kiosk {enrolled.kiosk_id} at site "
                         f"{enrolled.site_id}, this kiosk is {config.device_id} at {config.site_id}: set "
                         "[kiosk] device_id and site_id to the enrolled ones (the hub refuses records of "
                         "another kiosk)")  # fmt: skip
    agent = FleetAgent(enrolled, link.bundle_dir or config.data_dir / "hub",
                       AgentSettings(link.heartbeat_seconds, link.bundle_seconds, link.timeout_seconds),
                       version=config.software_version)  # fmt: skip
    return Fleet(agent, config.data_dir, checks).start()


KEPT_BETWEEN_KIOSKS = ("reader", "camera", "trust_store", "doctor")


class OutboxOnly:
    """The heartbeat's figures while no kiosk is built: the outbox backlog, and what the last kiosk said of
    its reader, camera, trust store and checks."""

    def __init__(self, data_dir: Path, known: dict[str, Any] | None = None,
                 errors: ErrorTail | None = None) -> None:  # fmt: skip
        self.data_dir, self.known, self.errors = data_dir, dict(known or {}), errors

    def status(self) -> dict[str, Any]:
        out = self.known | {"outbox_backlog": outbox_backlog(self.data_dir)[0]}
        if self.errors is not None and self.errors.lines:
            out["last_errors"] = self.errors.take()
        return out

    def offer(self, bundle: KioskBundle) -> None:
        """Nothing to apply it to: the agent offers it to the next kiosk attached."""


def outbox_backlog(data_dir: Path) -> tuple[int, Check]:
    """Undelivered outbox rows (pending and dead), read through a read-only connection of its own."""
    outbox = check_outbox(data_dir / "kiosk.db", time.time())
    details = outbox.details
    return int(details.get("pending") or 0) + int(details.get("dead") or 0), outbox


class FleetLink:
    """Between the agent and one built kiosk: its heartbeat figures, and its bundle applied between
    transactions (:meth:`apply_pending`, the driver's idle hook)."""

    def __init__(self, kiosk: Kiosk, data_dir: Path, agent: FleetAgent | None = None, *,
                 checks: Callable[[], list[Check]] | None = None,
                 errors: ErrorTail | None = None) -> None:  # fmt: skip
        self.kiosk, self.data_dir, self.agent = kiosk, data_dir, agent
        self.checks, self.errors = checks, errors
        services = kiosk.runner.services
        self.local_profile, self.local_trust = services.profile, services.trust
        self.local_languages = kiosk.driver.config.languages
        self.active: KioskBundle | None = None
        self._pending: KioskBundle | None = None
        self._lock = threading.Lock()
        kiosk.driver.idle_hooks.append(self.apply_pending)

    def close(self) -> None:
        if self.apply_pending in self.kiosk.driver.idle_hooks:
            self.kiosk.driver.idle_hooks.remove(self.apply_pending)

    # --- bundles --------------------------------------------------------------------------------------

    def offer(self, bundle: KioskBundle) -> None:
        with self._lock:
            self._pending = bundle

    @property
    def pending(self) -> KioskBundle | None:
        with self._lock:
            return self._pending

    def apply_pending(self) -> None:
        """The idle hook (the driving thread, attract loop): take the pending bundle over, unless the last
        transaction's storage work is still running (then at a later call; never waiting)."""
        if self._pending is None or not self.kiosk.runner.storage_idle():
            return
        with self._lock:
            bundle, self._pending = self._pending, None
        if bundle is None:
            return
        try:
            self.apply(bundle)
        except Exception as exc:  # the kiosk keeps serving on what it had
            log.error("bundle v%d not applied: %s", bundle.version, type(exc).__name__,
                      extra={"event": "hub.bundle_apply_failed"})  # fmt: skip
            if self.agent is not None:
                self.agent.report(f"bundle v{bundle.version} not applied: {type(exc).__name__}", "apply")

    def apply(self, bundle: KioskBundle) -> None:
        """Swap the profile, trust store and flow configuration (between transactions only)."""
        k = self.kiosk
        profile = self.local_profile
        if bundle.profile.name == self.local_profile.name:
            profile = dataclasses.replace(bundle.profile, connectors=self.local_profile.connectors)
        elif self.agent is not None:
            self.agent.report(f"bundle v{bundle.version}: profile {bundle.profile.name!r} not applied, this "
                              f"kiosk runs {self.local_profile.name!r} (kiosk.profile)", "apply")  # fmt: skip
        flow = k.driver.config.with_profile(profile)  # the kiosk's own timeouts, BHYT check, reader camera
        flow = dataclasses.replace(flow, languages=bundle.languages(self.local_languages))
        k.driver.reconfigure(flow)  # raises outside the attract loop: nothing swapped then
        k.runner.services.profile = profile
        k.runner.services.trust = bundle.trust if bundle.trust is not None else self.local_trust
        k.profile = profile
        self.active = bundle
        if self.agent is not None:
            self.agent.note_applied(bundle)

    # --- the heartbeat's figures ----------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        out = self.figures()
        if self.errors is not None and self.errors.lines:
            out.setdefault("last_errors", []).extend(self.errors.take())
        return out

    def figures(self) -> dict[str, Any]:
        """The reader, camera, trust store, outbox backlog and live checks."""
        services = self.kiosk.runner.services
        identity = services.kiosk
        checks = {c.name: c for c in (self.checks() if self.checks else [])}
        out: dict[str, Any] = {
            "reader": _device(identity.reader_model, checks.get("reader")),
            "camera": _device(identity.camera, checks.get("camera")),
        }
        trust = services.trust
        out["trust_store"] = {
            "source": f"bundle v{self.active.version}" if self.active and self.active.trust else "local",
            "certificates": len(getattr(trust, "certificates", ())), "crls": len(getattr(trust, "crls", ())),
        }  # fmt: skip
        out["outbox_backlog"], outbox = outbox_backlog(self.data_dir)
        if checks:
            out["doctor"] = {"ok": all(c.ok for c in checks.values()),
                             "checks": [{"name": c.name, "status": c.status, "summary": c.summary[:200]}
                                        for c in checks.values()]}  # fmt: skip
        if outbox.status == "fail" and "pending" not in outbox.details:
            out.setdefault("last_errors", []).append(f"outbox: {outbox.summary}"[:300])
        return out


def _device(name: str, check: Check | None) -> dict[str, Any]:
    if check is None:
        return {"name": name}
    return {"name": name, "status": check.status, "summary": check.summary[:200]}
