"""The kiosk's fleet agent (docs/hub.md, "The kiosk's fleet agent"): a daemon thread of the running kiosk
that reports to its hub and keeps its site's bundle.

* Every ``heartbeat_seconds`` (60 s; the hub shows a kiosk offline after 180 s of silence) it sends a
  heartbeat (``POST /v1/kiosks/{id}/heartbeat``, :func:`hub.kioskstatus.check_heartbeat`'s fields): the
  software version, what the kiosk says of its reader, camera, trust store, outbox backlog and doctor
  checks (:class:`KioskSide`), its last errors, and the bundle's ETag and last refusal.
* Every ``bundle_seconds`` — and at once when a heartbeat's answer names another ETag — it asks for the
  site's bundle with ``If-None-Match`` (:class:`hub.client.BundleCache`: kept only when the hub's signature
  verifies and the kiosk can use it, :func:`hub.kioskbundle.read_bundle`; otherwise the last good one stays
  and the refusal goes into the next heartbeat as ``bundle_error``).  A new bundle is *offered* to the kiosk
  (:meth:`KioskSide.offer`), which applies it between transactions; the agent never touches the flow.
* Every request has a time limit; a failure is logged as a structured warning, counted
  (``cccd_hub_agent_failures``), and the next attempt waits an exponential backoff with jitter
  (:class:`kiosk.delivery.backoff.BackoffPolicy`, from the interval up to ``max_backoff_seconds``).  The
  kiosk goes on serving and delivering (its outbox keeps records until the hub answers).
* :meth:`FleetAgent.stop` ends the thread (a final heartbeat, bounded) and closes the connection.

Its state (last heartbeat taken, failures, bundle) is written to ``agent.json`` in the bundle folder for
``cccd doctor`` and the operator screen (:func:`kiosk.health.check_hub_agent`), and to the kiosk's metrics.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

from hub.bundle import BundleError
from hub.client import BundleCache, Enrolment, HubClient, HubClientError
from hub.kioskbundle import KioskBundle, read_bundle
from kiosk.delivery.backoff import BackoffPolicy
from kiosk.keys import write_private
from kiosk.logsafe import redact
from kiosk.metrics import HUB_AGENT_FAILURES, HUB_BUNDLE, HUB_BUNDLE_VERSION, HUB_HEARTBEAT_OK

log = logging.getLogger("hub.agent")
STATE_FILE = "agent.json"
MAX_ERRORS = 20  # the heartbeat takes at most 20 last_errors of at most 500 characters
FINAL_HEARTBEAT_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class AgentSettings:
    heartbeat_seconds: float = 60.0
    bundle_seconds: float = 300.0
    timeout_seconds: float = 10.0
    max_backoff_seconds: float = 300.0


MAX_HEARTBEAT_BYTES = 15 * 1024  # the hub refuses more than 16 KiB (hub/kioskstatus.py:check_heartbeat)


def fit(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` within the hub's size limit: the doctor's checks go first, then the oldest errors."""
    size = len(json.dumps(body))
    if size > MAX_HEARTBEAT_BYTES and body.get("doctor"):
        body["doctor"] = {"ok": body["doctor"].get("ok"), "checks": [], "truncated": True}
    while len(json.dumps(body)) > MAX_HEARTBEAT_BYTES and body.get("last_errors"):
        body["last_errors"] = body["last_errors"][1:]
    return body


class KioskSide(Protocol):
    """What the running kiosk gives the agent (cccd/fleet.py:FleetLink)."""

    def status(self) -> dict[str, Any]:
        """Heartbeat fields: ``reader``, ``camera``, ``trust_store``, ``outbox_backlog``, ``doctor``,
        ``last_errors`` (any may be missing); called on the agent's thread, must not block for long."""
        ...

    def offer(self, bundle: KioskBundle) -> None:
        """A verified bundle to apply between transactions (called on the agent's thread)."""
        ...


class FleetAgent:
    def __init__(self, enrolment: Enrolment, bundle_dir: Path, settings: AgentSettings, *, version: str,
                 http: httpx.Client | None = None, rng: random.Random | None = None) -> None:  # fmt: skip
        self.settings, self.version = settings, version
        self.client = HubClient(enrolment, http or httpx.Client(timeout=settings.timeout_seconds,
                                                                trust_env=False))  # fmt: skip
        self.cache = BundleCache(bundle_dir)
        self.state_file = Path(bundle_dir) / STATE_FILE
        self._rng = rng or random.Random()  # jitter, not a secret
        self._lock = threading.Lock()
        self._kiosk: KioskSide | None = None
        self._errors: deque[str] = deque(maxlen=MAX_ERRORS)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.bundle: KioskBundle | None = None  # the last good bundle
        self.applied: KioskBundle | None = None  # the one the kiosk runs on
        self.last_heartbeat_ok: float | None = None
        self.last_answer: dict[str, Any] | None = None
        self.failures = {"heartbeat": 0, "bundle": 0, "refused": 0, "apply": 0}
        self._in_a_row = {"heartbeat": 0, "bundle": 0}
        self._pull_now = False
        self._sending = 0  # own errors in the heartbeat being sent

    # --- the kiosk's side -----------------------------------------------------------------------------

    def attach(self, kiosk: KioskSide) -> None:
        """The running kiosk (a headless run builds one per profile and scenario); it is offered the last
        good bundle at once."""
        with self._lock:
            self._kiosk = kiosk
            bundle = self.bundle
        if bundle is not None:
            kiosk.offer(bundle)

    def detach(self, kiosk: KioskSide) -> None:
        with self._lock:
            if self._kiosk is kiosk:
                self._kiosk = None

    def report(self, message: str, kind: str | None = None) -> None:
        """An error for the next heartbeat's ``last_errors`` (``kind``: also counted as a failure)."""
        with self._lock:
            self._errors.append(redact(message)[:500])
            if kind is not None:
                self.failures[kind] = self.failures.get(kind, 0) + 1
        if kind is not None:
            HUB_AGENT_FAILURES.labels(kind).inc()

    def note_applied(self, bundle: KioskBundle) -> None:
        """The kiosk took ``bundle`` over (between transactions)."""
        with self._lock:
            self.applied = bundle
        HUB_BUNDLE_VERSION.set(bundle.version)
        HUB_BUNDLE.clear()
        HUB_BUNDLE.labels(bundle.etag or "").set(1)
        log.info("bundle v%d applied", bundle.version, extra={"event": "hub.bundle_applied",
                                                             "bundle_version": bundle.version})  # fmt: skip
        self._write_state()

    # --- the thread -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Load the last good bundle (offered to the kiosk even while the hub is away), start the thread."""
        content, etag = self.cache.current()
        if content is not None:
            try:
                self._take(read_bundle(content, etag))
            except BundleError as exc:  # an older kiosk version kept it: forget it, ask the hub again
                log.warning("the kept bundle is not usable: %s", exc, extra={"event": "hub.bundle_unusable"})
                (self.cache.directory / BundleCache.FILE).unlink(missing_ok=True)
        self._thread = threading.Thread(target=self._run, name="hub-agent", daemon=True)
        self._thread.start()

    def stop(self, final_heartbeat: bool = True) -> None:
        """End the thread (within one request's time limit), send a last heartbeat, close the connection."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(self.settings.timeout_seconds + 5)
            self._thread = None
        if final_heartbeat:
            self.heartbeat_once(timeout=min(FINAL_HEARTBEAT_SECONDS, self.settings.timeout_seconds))
        self.client.close()
        self._write_state()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        now = time.monotonic()
        next_pull, next_beat = now, now
        while not self._stop.is_set():
            if time.monotonic() >= next_pull or self._pull_now:
                self._pull_now = False
                ok = self.pull_once()
                next_pull = time.monotonic() + self._delay("bundle", ok, self.settings.bundle_seconds)
            if self._stop.is_set():
                break
            if time.monotonic() >= next_beat:
                ok = self.heartbeat_once() is not None
                next_beat = time.monotonic() + self._delay("heartbeat", ok, self.settings.heartbeat_seconds)
            if self._pull_now:
                continue
            self._wake.wait(max(0.0, min(next_pull, next_beat) - time.monotonic()))
            self._wake.clear()

    def _delay(self, what: str, ok: bool, interval: float) -> float:
        if ok:
            return interval
        policy = BackoffPolicy(interval, 2.0, max(interval, self.settings.max_backoff_seconds))
        return policy.delay(self._in_a_row[what], self._rng)

    # --- one heartbeat, one pull ----------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """The heartbeat's body: the kiosk's figures, the agent's errors and the bundle's state."""
        with self._lock:
            kiosk, errors, bundle = self._kiosk, list(self._errors), self.bundle
        own = len(errors)
        body: dict[str, Any] = {}
        if kiosk is not None:
            try:
                body.update(kiosk.status())
            except Exception as exc:  # the heartbeat still goes: the hub learns the kiosk is alive
                errors.append(f"status: {type(exc).__name__}")
        body["version"] = self.version
        every = (*body.get("last_errors", ()), *errors)
        body["last_errors"] = [redact(str(e))[:500] for e in every][-MAX_ERRORS:]
        self._sending = own
        etag, error = bundle.etag if bundle else None, self.cache.reported_error()  # bundle.json's, in memory
        if etag:
            body["bundle_etag"] = etag
        if error:
            body["bundle_error"] = error
        return fit(body)

    def heartbeat_once(self, timeout: float | None = None) -> dict[str, Any] | None:
        """Send one heartbeat; the hub's answer, or ``None`` when it failed (logged, counted)."""
        body = self.status()
        try:
            if timeout is None:
                answer = self.client.heartbeat(body)
            else:
                answer = self._with_timeout(timeout, lambda: self.client.heartbeat(body))
        except (httpx.HTTPError, HubClientError, ValueError) as exc:
            self._failed("heartbeat", exc)
            return None
        now = time.time()
        with self._lock:
            self.last_heartbeat_ok, self.last_answer = now, answer
            self._in_a_row["heartbeat"] = 0
            for _ in range(min(self._sending, len(self._errors))):
                self._errors.popleft()  # reported (errors noted since stay for the next heartbeat)
        HUB_HEARTBEAT_OK.set(now)
        hub_etag = answer.get("bundle_etag")
        if hub_etag and hub_etag != body.get("bundle_etag") and not body.get("bundle_error"):
            self._pull_now = True  # the site's bundle changed: ask now, not at the next bundle interval
        self._write_state()
        return answer

    def _with_timeout(self, timeout: float, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        saved = self.client.http.timeout
        self.client.http.timeout = httpx.Timeout(timeout)
        try:
            return call()
        finally:
            self.client.http.timeout = saved

    def pull_once(self) -> bool:
        """Ask for the site's bundle; True unless the hub could not be asked (a refusal is an answer)."""
        try:
            changed = self.cache.refresh(self.client)
        except (httpx.HTTPError, ValueError, OSError) as exc:
            self._failed("bundle", exc)
            return False
        with self._lock:
            self._in_a_row["bundle"] = 0
        if self.cache.last_error is not None:
            with self._lock:
                self.failures["refused"] += 1
            HUB_AGENT_FAILURES.labels("refused").inc()
            log.warning("bundle refused, keeping the last good one: %s", self.cache.last_error,
                        extra={"event": "hub.bundle_refused"})  # fmt: skip
        elif changed and self.cache.taken is not None:
            self._take(self.cache.taken)  # read (and checked) once, by BundleCache.refresh
        self._write_state()
        return True

    def _take(self, bundle: KioskBundle) -> None:
        with self._lock:
            self.bundle = bundle
            kiosk = self._kiosk
        log.info("bundle v%d taken", bundle.version, extra={"event": "hub.bundle_taken",
                                                           "bundle_version": bundle.version})  # fmt: skip
        if kiosk is not None:
            kiosk.offer(bundle)

    def _failed(self, what: str, exc: Exception) -> None:
        reason = f"{type(exc).__name__}: {redact(str(exc))}"[:300]
        with self._lock:
            self.failures[what] += 1
            self._in_a_row[what] += 1
            in_a_row = self._in_a_row[what]
            self._errors.append(f"{what}: {reason}")
        HUB_AGENT_FAILURES.labels(what).inc()
        log.warning("hub %s failed (%d in a row), the kiosk goes on: %s", what, in_a_row, reason,
                    extra={"event": f"hub.{what}_failed", "failures_in_a_row": in_a_row})  # fmt: skip
        self._write_state()

    # --- state ----------------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The agent's state (``agent.json``; the operator screen and ``cccd doctor``)."""
        with self._lock:
            applied = self.applied
            return {
                "hub_url": self.client.enrolment.hub_url,
                "kiosk_id": self.client.enrolment.kiosk_id,
                "heartbeat_seconds": self.settings.heartbeat_seconds,
                "last_heartbeat_ok": self.last_heartbeat_ok,
                "heartbeat_failures_in_a_row": self._in_a_row["heartbeat"],
                "failures": dict(self.failures),
                "bundle_version": self.bundle.version if self.bundle else None,
                "bundle_etag": self.bundle.etag if self.bundle else None,
                "applied_version": applied.version if applied else None,
                "bundle_error": self.cache.last_error,
                "written_at": time.time(),
            }

    def _write_state(self) -> None:
        try:
            self.state_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_private(self.state_file, json.dumps(self.snapshot()).encode())
        except OSError as exc:  # a full disk must not stop the agent
            log.warning("agent state not written: %s", type(exc).__name__)
