"""The outbox relay: at-least-once delivery with backoff (integrations.md, "Delivering it").

Each round reads the due rows, delivers them concurrently, and records every outcome in **one** durable
commit: 2xx → ``sent`` (and the bank's biometric evidence deleted), 4xx other than 408/425/429 →
``dead`` for a person (``cccd outbox list|retry``), anything else → retried after
:class:`BackoffPolicy`.  A crash (``kill -9``, power loss) between a delivery and its commit only means
that delivery is repeated; receivers deduplicate on the verification ID.  One relay per database:
:class:`RelayLock` (``flock``, released by the kernel when the process dies).
"""

from __future__ import annotations

import fcntl
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.connectors import Connector, DeliveryContext, DeliveryResult, build_connector
from kiosk.delivery.backoff import BackoffPolicy
from kiosk.keys import RecordSigner
from kiosk.metrics import observe_delivery, set_backlog
from kiosk.profiles import Profile, ProfileError
from kiosk.storage import KioskStore, OutboxItem, SealError

Clock = Callable[[], float]
log = logging.getLogger("kiosk.delivery")


class RelayBusyError(Exception):
    """Another relay process holds this database's relay lock."""


class RelayLock:
    """An exclusive ``flock`` on ``<db>.relay.lock``: one relay delivers a database's outbox at a time,
    whichever process it runs in (``cccd outbox run``, the delivery thread of ``cccd kiosk`` / ``cccd ui``).

    As a context manager it is taken for the whole block (``wait``: seconds to keep trying while another
    relay holds it, e.g. between two of a running kiosk's rounds); :meth:`try_acquire` / :meth:`release`
    take it for one relay round (the kiosk's delivery thread skips a round while another relay holds it).
    """

    def __init__(self, db_path: Path, *, wait: float = 0.0) -> None:
        self.path = Path(str(db_path) + ".relay.lock")
        self.wait = wait
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool:
        """Take the lock if it is free (non-blocking); True when this object now holds it."""
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RelayLock:
        end = time.monotonic() + max(0.0, self.wait)
        while not self.try_acquire():
            if time.monotonic() >= end:
                raise RelayBusyError(f"another relay is running on {self.path.name[:-11]}")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class ConnectorRegistry:
    """Connectors built from the profiles on first use (one per profile and connector name)."""

    def __init__(self, profiles: dict[str, Profile], signer: RecordSigner, deliver_to: str | None = None):
        self.profiles, self.signer, self.deliver_to = profiles, signer, deliver_to
        self._built: dict[tuple[str, str], Connector] = {}
        self._lock = threading.Lock()

    def serves(self) -> tuple[str, ...]:
        """The profiles whose rows this registry can deliver (the relay claims only those)."""
        return tuple(sorted(self.profiles))

    def get(self, profile: str, connector: str) -> Connector:
        with self._lock:
            key = (profile, connector)
            if key not in self._built:
                p = self.profiles.get(profile)
                if p is None:
                    raise ProfileError(f"profile {profile!r} is not loaded")
                self._built[key] = build_connector(p.connector(connector), p, self.signer, self.deliver_to)
            return self._built[key]

    def close(self) -> None:
        with self._lock:
            for c in self._built.values():
                c.close()
            self._built.clear()


@dataclass(slots=True)
class RelayStats:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    rounds: int = 0
    skipped: int = 0  # rounds left to another relay holding the lock
    errors: dict[str, int] = field(default_factory=dict)

    def add(self, result: DeliveryResult) -> None:
        if result.outcome == "sent":
            self.sent += 1
        elif result.outcome == "retry":
            self.retried += 1
        else:
            self.dead += 1
        if result.error and result.outcome != "sent":
            self.errors[result.error] = self.errors.get(result.error, 0) + 1


class Relay:
    """Delivers the outbox.  ``clock`` and ``rng`` are parameters so tests control time and jitter."""

    def __init__(self, store: KioskStore, connectors: ConnectorRegistry, *, clock: Clock = time.time,
                 rng: random.Random | None = None, backoff: BackoffPolicy | None = None,
                 batch: int = 64, workers: int = 8, lock: RelayLock | None = None) -> None:  # fmt: skip
        """``lock``: taken around each :meth:`locked_round` (the kiosk's delivery thread); a relay that
        holds the lock for its whole life (``cccd outbox run``) calls :meth:`run_once` / :meth:`run`."""
        self.store, self.connectors, self.clock, self.lock = store, connectors, clock, lock
        self.rng = rng or random.Random()  # jitter, not security
        self.backoff = backoff or BackoffPolicy()
        self.batch = batch
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="relay")
        self.stats = RelayStats()

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.connectors.close()
        if self.lock is not None:
            self.lock.release()

    def _deliver(self, item: OutboxItem, ctx: DeliveryContext | DeliveryResult) -> DeliveryResult:
        if isinstance(ctx, DeliveryResult):
            return ctx
        t0 = time.perf_counter()
        try:
            result = self.connectors.get(item.profile, item.connector).deliver(ctx)
        except ProfileError as exc:
            result = DeliveryResult("dead", None, str(exc))
        except Exception as exc:  # a connector bug must reach a person, not kill the relay
            result = DeliveryResult("dead", None, f"internal error in connector: {type(exc).__name__}")
        observe_delivery(f"{item.profile}/{item.connector}", time.perf_counter() - t0, result.outcome,
                         result.status)  # fmt: skip
        return result

    def _context(self, item: OutboxItem, now: float) -> DeliveryContext | DeliveryResult:
        try:
            record = self.store.record(item.verification_id)
            images = self.store.biometric_images(item.verification_id) if item.carries_biometrics else None
        except (SealError, ValueError) as exc:
            return DeliveryResult("dead", None, f"stored record unreadable: {type(exc).__name__}")
        return DeliveryContext(item.verification_id, record, images, now)

    def run_once(self) -> int:
        """One round: deliver what is due now.  Returns the number of rows attempted."""
        now = self.clock()
        items = self.store.due(now, self.batch, self.connectors.serves())
        if not items:
            set_backlog(*self.store.backlog(now))
            return 0
        contexts = [self._context(item, now) for item in items]
        results = list(self._pool.map(self._deliver, items, contexts))
        done = self.clock()
        outcomes = []
        for item, result in zip(items, results, strict=True):
            next_at = done
            if result.outcome == "retry":
                next_at += self.backoff.delay(item.attempts + 1, self.rng)
            outcomes.append((item, result.outcome, result.status, result.error, next_at))
            self.stats.add(result)
        self.store.record_outcomes(outcomes, done)
        self.stats.rounds += 1
        set_backlog(*self.store.backlog(done))  # once a round: after the outcomes (an idle round: above)
        log.info("relay round: %d attempted", len(items), extra={
            "event": "relay.round", "attempted": len(items),
            "sent": sum(o[1] == "sent" for o in outcomes), "retry": sum(o[1] == "retry" for o in outcomes),
            "dead": sum(o[1] == "dead" for o in outcomes)})  # fmt: skip
        return len(items)

    def locked_round(self) -> int:
        """One round under the relay lock; 0 without delivering when another relay holds it (that relay
        delivers the rows: nothing is sent twice)."""
        if self.lock is None:
            return self.run_once()
        if not self.lock.try_acquire():
            self.stats.skipped += 1
            return 0
        try:
            return self.run_once()
        finally:
            self.lock.release()

    def due_soon(self, within: float = 0.0) -> bool:
        """A row this relay can deliver is due within ``within`` seconds (the idle relay's check, which also
        keeps the backlog metrics current while rows wait for their retry)."""
        set_backlog(*self.store.backlog(self.clock()))
        nxt = self.store.next_due_at(self.connectors.serves())
        return nxt is not None and nxt <= self.clock() + within

    def run(self, stop: threading.Event, *, until_idle: bool = False, idle_wait: float = 0.5,
            sleep: Callable[[float], object] | None = None) -> RelayStats:  # fmt: skip
        """Loop until ``stop`` is set (or, with ``until_idle``, until nothing is pending at all)."""
        while not stop.is_set():
            if self.run_once():
                continue
            nxt = self.store.next_due_at(self.connectors.serves())
            if until_idle and nxt is None:
                break
            wait = idle_wait if nxt is None else min(idle_wait, max(0.0, nxt - self.clock()))
            if sleep is not None:
                sleep(wait)
            else:
                stop.wait(wait)
        return self.stats
