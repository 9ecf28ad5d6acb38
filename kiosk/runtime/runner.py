"""The effect runner and the flow driver: the only part of the flow with threads, I/O and a clock.

:class:`FlowDriver` owns the session.  It takes events from a queue (intents from the UI or a scripted
user, results from the effect runner, expired timers), applies :func:`kiosk.flow.table.step`, hands the
effect requests to :class:`EffectRunner`, and publishes the new :class:`kiosk.flow.views.View`.

:class:`EffectRunner` performs effects: chip reads, waits for a card (to be placed, or to be taken), face
captures and comparisons on a worker pool; consent, queue numbers, persistence, audit and wipes on one
storage thread (one SQLite connection, FIFO order: a wipe never overtakes the persistence it follows); relay
rounds on a delivery thread of their own (the relay's own connection), so a slow endpoint never delays the
next person's consent or queue number.  A chip read the card's removal interrupted is kept for the next read
of the same transaction, which resumes it (:mod:`kiosk.runtime.resume`); the transaction's wipe forgets it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kiosk.flow import effects as fx
from kiosk.flow import events as ev
from kiosk.flow.model import FlowConfig, Session, State
from kiosk.flow.outcomes import ChipOutcome, InsuranceAnswer
from kiosk.flow.service import queue_ticket
from kiosk.flow.table import initial, step
from kiosk.flow.views import View, render
from kiosk.metrics import FACE_CAPTURE_SECONDS, FACE_SCORE, RECORDS, TRANSACTIONS, observe_chip_read
from kiosk.profiles import Profile
from kiosk.record import ConsentRecord, KioskIdentity
from kiosk.runtime.chip import CardSlot, ChipReadError, ChipReadInterrupted, read_chip
from kiosk.runtime.face import FaceStep, FaceStepError
from kiosk.runtime.mrz_ocr import MRZReader, OCRUnavailableError
from kiosk.runtime.persist import persist
from kiosk.runtime.qrscan import scan_card
from kiosk.runtime.resume import InterruptedReads
from kiosk.storage import KioskStore
from reader.engine import Progress
from reader.findings import READ_RESUMED
from reader.transports.base import Transport, TransportWrapper

log = logging.getLogger("kiosk.flow")
Post = Callable[[ev.Event], None]
READER_TURN_OVER_S = 5.0  # the reader's camera has seen no code on the card lying there: "turn it over"
CARD_POLL_SECONDS = 0.25  # waits for a card to be placed or taken look at their cancellation this often


@dataclass
class Services:
    """What the effect runner works with (built by :mod:`cccd.compose`)."""

    profile: Profile
    kiosk: KioskIdentity
    store: KioskStore
    slot: CardSlot
    trust: Any  # reader.pki.trust.CSCAStore
    face: FaceStep
    relay_round: Callable[[], int] | None = None  # one outbox relay round (on the delivery thread)
    relay_due: Callable[[], bool] | None = None  # a row is due now (the idle relay's cheap check)
    relay_interval: float = 2.0  # seconds between the idle relay's checks (0: only after transactions)
    qr_camera: Callable[[], Any] | None = None  # a camera for the QR code (None: typed or scanner only)
    mrz_ocr: bool = True  # with qr_camera: read the MRZ on the card's back too (tesseract, when installed)
    card_wait_seconds: float = 120.0
    insurance: Callable[[ChipOutcome], InsuranceAnswer] | None = None  # hospital: the BHYT check


def failure_event(effect: fx.Effect, exc: Exception) -> ev.Event | None:
    """The event that tells the machine an effect failed: a chip read that broke is unreadable; a card wait
    that broke is answered with ``CardPresent`` (the read that follows opens the reader and reports its fault
    as a typed ``ReadFailed``); a face step that broke is an engine error; a record or a queue number that
    could not be stored is a storage failure; a camera that broke while looking for the card's codes tells
    the person to type instead (``MRZUnreadable("camera_unavailable")``: the screen would otherwise wait
    for a card nobody reads).  ``None``: nobody waits for the effect (audit, wipe, the consent saved ahead
    of the record — whose absence the record's persistence reports)."""
    name = type(exc).__name__
    if isinstance(effect, fx.StartQRScan):
        return ev.MRZUnreadable("camera_unavailable")
    if isinstance(effect, fx.StartChipRead):
        return ev.ReadFailed(effect.op, "card_error")
    if isinstance(effect, fx.WaitForCard):
        return ev.CardPresent(effect.op)
    if isinstance(effect, fx.StartFaceCapture | fx.StartFaceMatch):
        return ev.FaceFailed(effect.op, "engine_error")
    if isinstance(effect, fx.PersistAndDeliver):
        return ev.PersistFailed(effect.op, name)
    if isinstance(effect, fx.IssueQueueNumber):
        return ev.QueueNumberFailed(effect.op, name)
    if isinstance(effect, fx.CheckInsurance):
        return ev.InsuranceChecked(effect.op, InsuranceAnswer.not_checked(name))
    return None


PURGE_INTERVAL = 3600.0  # seconds between retention purges of a running kiosk


class EffectRunner:
    def __init__(self, services: Services, post: Post, *, wall: Callable[[], float] = time.time) -> None:
        self.services, self.post, self.wall = services, post, wall
        self._workers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="flow-worker")
        self._storage = ThreadPoolExecutor(max_workers=1, thread_name_prefix="flow-storage")
        self._delivery = ThreadPoolExecutor(max_workers=1, thread_name_prefix="flow-delivery")
        self._consents: dict[int, ConsentRecord] = {}
        self.interrupted = InterruptedReads()  # the read the card's removal cut short (this transaction's)
        self._cancel: dict[int, threading.Event] = {}
        self._last_purge: float | None = None
        self._stopping = threading.Event()
        self._relay_queued = False
        self._relay_guard = threading.Lock()
        self._ticker: threading.Thread | None = None
        interval = getattr(services, "relay_interval", 0.0)  # test doubles may carry no relay at all
        if getattr(services, "relay_round", None) is not None and interval > 0:
            self._ticker = threading.Thread(target=self._tick, name="flow-relay-timer", daemon=True)
            self._ticker.start()
        self._mrz: Any | None = None  # kiosk.runtime.mrz_ocr.MRZReader, made on first use
        self._mrz_tried = False
        self._storage_jobs = 0  # storage effects submitted and not yet finished (storage_idle)
        self._storage_lock = threading.Lock()

    def close(self) -> None:
        self._stopping.set()
        if self._ticker is not None:
            self._ticker.join()
        for flag in list(self._cancel.values()):
            flag.set()  # waits for a card to be placed or taken end
        self._workers.shutdown(wait=True)
        self._storage.shutdown(wait=True)
        self._delivery.shutdown(wait=True)
        self.interrupted.wipe()
        if self._mrz is not None:
            self._mrz.close()

    def drain_storage(self) -> None:
        """Wait until every storage job submitted so far has run, and the relay rounds they started."""
        self._storage.submit(lambda: None).result()
        self._delivery.submit(lambda: None).result()

    def on_delivery_thread(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` on the delivery thread (after the relay rounds queued) and return its result."""
        return self._delivery.submit(fn).result()

    def on_storage_thread(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` on the storage thread (after what is queued) and return its result."""
        return self._storage.submit(fn).result()

    def perform(self, effect: fx.Effect) -> None:
        log.debug("effect %r", effect)
        if isinstance(effect, fx.Speak):
            return  # text-to-speech belongs to the UI issue; the key is logged above
        if isinstance(effect, fx.CancelOperation):
            self._cancel.setdefault(effect.op, threading.Event()).set()
            return
        job = self._job(effect)
        if job is None:
            log.warning("no runner for effect %s", type(effect).__name__)
            return
        storage = isinstance(effect, fx.SaveConsent | fx.IssueQueueNumber | fx.PersistAndDeliver | fx.Audit
                             | fx.Wipe)  # fmt: skip
        if not storage:
            self._workers.submit(self._guard, job, effect)
            return
        with self._storage_lock:
            self._storage_jobs += 1
        self._storage.submit(self._guard_storage, job, effect)

    def _guard_storage(self, job: Callable[[Any], None], effect: fx.Effect) -> None:
        try:
            self._guard(job, effect)
        finally:
            with self._storage_lock:
                self._storage_jobs -= 1

    def storage_idle(self) -> bool:
        """No storage effect is queued or running: the last transaction's consent, record, audit and wipe
        are done (a new configuration can take over between transactions without waiting)."""
        with self._storage_lock:
            return self._storage_jobs == 0

    def _guard(self, job: Callable[[Any], None], effect: fx.Effect) -> None:
        """Run one effect; any exception it lets escape (a bug, a driver's own error type) becomes the typed
        failure event its state waits for, at once, so the flow moves to its retry or fallback instead of
        sitting until its deadline (docs/architecture.md).  Only the exception's type is logged: its text
        may carry what a device or library saw."""
        try:
            job(effect)
        except Exception as exc:
            event = failure_event(effect, exc)
            log.error("effect %s failed: %s%s", type(effect).__name__, type(exc).__name__,
                      "" if event is None else f" -> {type(event).__name__}")  # fmt: skip
            if event is not None:
                self.post(event)

    def _job(self, effect: fx.Effect) -> Callable[[Any], None] | None:
        jobs: dict[type[fx.Effect], Callable[[Any], None]] = {
            fx.SaveConsent: self._save_consent, fx.WaitForCard: self._wait_card, fx.StartChipRead: self._read,
            fx.WaitForCardRemoval: self._wait_removal, fx.StartQRScan: self._scan_qr,
            fx.StartFaceCapture: self._capture, fx.StartFaceMatch: self._match,
            fx.IssueQueueNumber: self._issue_queue_number, fx.PersistAndDeliver: self._persist,
            fx.Audit: self._audit, fx.Wipe: self._wipe, fx.CheckInsurance: self._check_insurance,
        }  # fmt: skip
        return jobs.get(type(effect))

    def _cancelled(self, op: int) -> threading.Event:
        return self._cancel.setdefault(op, threading.Event())

    # --- storage thread ---------------------------------------------------------------------------------

    def _save_consent(self, e: fx.SaveConsent) -> None:
        s = self.services
        choices = {p.id: p.id in e.choices for p in s.profile.purposes}
        consent = ConsentRecord.create(s.profile, e.language, choices, "touch", s.kiosk.device_id, e.at)
        s.store.save_consent(consent, s.profile, self.wall())
        self._consents[e.txn] = consent

    def _issue_queue_number(self, e: fx.IssueQueueNumber) -> None:
        s = self.services
        try:
            number = s.store.issue_queue_number(e.department, e.day, self.wall(), s.profile.name)
        except Exception as exc:  # the flow sends the person to the counter (QUEUE_UNAVAILABLE)
            log.error("issuing a queue number failed: %s", type(exc).__name__)
            self.post(ev.QueueNumberFailed(e.op, type(exc).__name__))
            return
        log.info("queue number %s issued", queue_ticket(e.department, number))
        self.post(ev.QueueNumberIssued(e.op, e.department, e.day, number))

    def _persist(self, e: fx.PersistAndDeliver) -> None:
        s = self.services
        consent = self._consents.get(e.txn)
        if consent is None:
            self.post(ev.PersistFailed(e.op, "no consent record for this transaction"))
            return
        try:
            record = persist(
                e, profile=s.profile, consent=consent, kiosk=s.kiosk, store=s.store, now=self.wall()
            )
        except Exception as exc:
            log.error("persisting the verification failed: %s", type(exc).__name__,
                      extra={"event": "verification.persist_failed"})  # fmt: skip
            RECORDS.labels(s.profile.name, "persist_failed").inc()
            self.post(ev.PersistFailed(e.op, type(exc).__name__))
            return
        log.info("verification %s stored: %s %s", record.verification_id, record.status, list(record.reasons),
                 extra={"event": "verification.stored", "verification_id": record.verification_id,
                        "status": record.status})  # fmt: skip
        RECORDS.labels(s.profile.name, record.status).inc()
        self.post(ev.Persisted(e.op, record.verification_id, record.status))
        if s.relay_round is not None:
            self._delivery.submit(self._relay)

    def _relay(self) -> None:
        assert self.services.relay_round is not None
        try:
            self.services.relay_round()
        except Exception:
            log.exception("relay round failed (the outbox keeps the rows)")

    # --- the idle relay (docs/delivery.md, "The relay") ---------------------------------------------------

    def _tick(self) -> None:
        """Every ``relay_interval`` seconds, queue an idle relay round on the delivery thread (one at a
        time): retries fall due while nobody uses the kiosk, and must not wait for the next person."""
        while not self._stopping.wait(self.services.relay_interval):
            with self._relay_guard:
                if self._relay_queued:
                    continue
                self._relay_queued = True
            try:
                self._delivery.submit(self._idle_relay)
            except RuntimeError:  # shutting down
                return

    def _idle_relay(self, max_rounds: int = 16) -> None:
        s = self.services
        with self._relay_guard:
            self._relay_queued = False
        assert s.relay_round is not None
        try:
            for _ in range(max_rounds):
                if self._stopping.is_set() or (s.relay_due is not None and not s.relay_due()):
                    return
                if not s.relay_round():
                    return
        except Exception:
            log.exception("idle relay round failed (the outbox keeps the rows)")

    def _audit(self, e: fx.Audit) -> None:
        data = {"profile": self.services.profile.name, "reason": e.reason}
        self.services.store.audit(e.event, data, self.wall())
        log.info("audit %s %s", e.event, e.reason)

    def _wipe(self, e: fx.Wipe) -> None:
        self._consents.pop(e.txn, None)
        self.interrupted.wipe(e.txn)  # an interrupted read never resumes for another transaction
        # A QR scan or card wait of the finished transaction stops; the wait for the card to be taken (a
        # later token) goes on.
        for op, flag in list(self._cancel.items()):
            if e.op is None or op <= e.op:
                flag.set()
                self._cancel.pop(op, None)
        self._purge_if_due()

    def _purge_if_due(self) -> None:
        """Retention on schedule (the profile's periods, :mod:`kiosk.storage.retention`): after the first
        transaction and then at most once per :data:`PURGE_INTERVAL`, on the storage thread, between
        transactions."""
        now = self.wall()
        if self._last_purge is not None and now - self._last_purge < PURGE_INTERVAL:
            return
        self._last_purge = now
        try:
            report = self.services.store.purge(now, self.services.profile.retention.audit_days)
        except Exception as exc:
            log.error("retention purge failed: %s (retried after the next transaction)", type(exc).__name__)
            self._last_purge = None
            return
        log.info("retention purge: %s", report)

    # --- worker threads ---------------------------------------------------------------------------------

    def _mrz_reader(self) -> Any | None:
        if not self._mrz_tried and self.services.mrz_ocr:
            self._mrz_tried = True

            try:
                self._mrz = MRZReader()
            except OCRUnavailableError as exc:
                log.warning("MRZ scanning off: %s", exc)
        return self._mrz

    def _scan_qr(self, e: fx.StartQRScan) -> None:
        if self.services.qr_camera is None:
            return
        cancel = self._cancelled(e.op)
        if e.on_reader:  # the reader's own camera looks once a card lies there (one to take back)
            if not self._card_placed(cancel):
                return
            self.post(ev.CardPresent(e.op))

        def problem(reason: str) -> None:
            if not cancel.is_set():
                self.post(ev.MRZUnreadable(reason))

        try:
            camera = self.services.qr_camera()
            try:
                found = scan_card(camera, cancel, self._mrz_reader(), problem,
                                  nothing_after=READER_TURN_OVER_S if e.on_reader else None)  # fmt: skip
            finally:
                camera.close()
        except Exception:
            if cancel.is_set():  # the person has moved on: a camera failure now is nobody's news
                return
            raise  # _guard: "the camera is not working, type instead" (failure_event)
        if found is None or cancel.is_set():
            return
        kind, text = found
        log.info("%s read by the camera", "QR code" if kind == "qr" else "MRZ")
        self.post(ev.ScanQR(text) if kind == "qr" else ev.EnterMRZ(text))

    def _card_placed(self, cancel: threading.Event, end: float | None = None) -> bool:
        """A card lies on the reader before ``cancel``, the runner's close or the monotonic time ``end``
        (``None``: no limit of its own — the key-entry step's timeout and the transaction's wipe end it)."""
        while not cancel.is_set() and not self._stopping.is_set() and (end is None or time.monotonic() < end):
            if self.services.slot.wait_for_card(CARD_POLL_SECONDS):
                return not cancel.is_set()
        return False

    def _wait_card(self, e: fx.WaitForCard) -> None:
        cancel = self._cancelled(e.op)
        if self._card_placed(cancel, time.monotonic() + self.services.card_wait_seconds):
            self.post(ev.CardPresent(e.op))

    def _wait_removal(self, e: fx.WaitForCardRemoval) -> None:
        """Until the reader is empty (``CardTaken``) or the flow stops waiting (no time limit here: the
        flow's timer decides when a card counts as left)."""
        cancel = self._cancelled(e.op)
        # a wait queued behind busy workers may start after close() flagged every known operation
        while not cancel.is_set() and not self._stopping.is_set():
            if self.services.slot.wait_for_removal(CARD_POLL_SECONDS):
                if not cancel.is_set():
                    log.info("the card has left the reader")
                    self.post(ev.CardTaken(e.op))
                return

    def _read(self, e: fx.StartChipRead) -> None:
        def progress(p: Progress) -> None:
            self.post(ev.ReadProgressed(e.op, p.phase.value, p.done, p.total))

        model = getattr(getattr(self.services, "kiosk", None), "reader_model", "unknown")
        t0 = time.perf_counter()
        transport = MeteredTransport(self.services.slot.open())
        resume = self.interrupted.for_transaction(e.txn)
        try:
            outcome = read_chip(transport, e.key, self.services.trust, progress, can=e.can, resume=resume)
        except ChipReadError as exc:
            observe_chip_read(model, time.perf_counter() - t0, exc.kind, transport.apdus,
                              transport.status_words, False)  # fmt: skip
            log.info("chip read failed: %s", exc.kind, extra={"event": "chip.read_failed", "kind": exc.kind})
            if isinstance(exc, ChipReadInterrupted) and self.interrupted.keep(e.txn, exc.partial):
                log.info("the read resumes when the card is placed again (%d complete files kept)",
                         len(exc.partial.files), extra={"event": "chip.read_interrupted"})  # fmt: skip
            self.post(ev.ReadFailed(e.op, exc.kind))
            return
        self.interrupted.done(e.txn)
        if resume is not None:
            resumed = READ_RESUMED in {f.code for f in outcome.report.findings}
            log.info("chip read %s", "resumed" if resumed else "of another card, from the start",
                     extra={"event": "chip.read_resumed" if resumed else "chip.read_restarted"})  # fmt: skip
        observe_chip_read(model, time.perf_counter() - t0, outcome.verdict, transport.apdus,
                          transport.status_words, outcome.report.access.downgraded)  # fmt: skip
        log.info("chip read: %s %s", outcome.verdict, list(outcome.reasons),
                 extra={"event": "chip.read", "verdict": outcome.verdict})  # fmt: skip
        self.post(ev.ReadSucceeded(e.op, outcome))

    def _capture(self, e: fx.StartFaceCapture) -> None:
        t0 = time.perf_counter()
        try:
            cap = self.services.face.capture(e.attempt, e.chip_photo,
                                             lambda hint: self.post(ev.FaceGuidance(e.op, hint)),
                                             self._cancelled(e.op))  # fmt: skip
        except FaceStepError as exc:
            FACE_CAPTURE_SECONDS.labels(exc.kind).observe(time.perf_counter() - t0)
            self.post(ev.FaceFailed(e.op, exc.kind))
            return
        FACE_CAPTURE_SECONDS.labels("live" if cap.liveness_passed else str(cap.failure)).observe(
            time.perf_counter() - t0)
        log.info("face capture %d: liveness %s", e.attempt, "passed" if cap.liveness_passed else cap.failure)
        self.post(ev.FaceCaptured(e.op, cap))

    def _check_insurance(self, e: fx.CheckInsurance) -> None:
        """The BHXH gateway (bounded by the client's budget; kiosk.runtime.insurance)."""
        check = getattr(self.services, "insurance", None)
        answer = (check(e.chip) if check is not None
                  else InsuranceAnswer.not_checked("no gateway configured"))  # fmt: skip
        self.post(ev.InsuranceChecked(e.op, answer))

    def _match(self, e: fx.StartFaceMatch) -> None:
        try:
            decision = self.services.face.match(e.capture, e.chip_photo)
        except FaceStepError as exc:
            self.post(ev.FaceFailed(e.op, exc.kind))
            return
        FACE_SCORE.labels(decision.decision).observe(decision.score)
        log.info("face comparison: %s (score %.3f, threshold %.3f)", decision.decision, decision.score,
                 decision.threshold, extra={"event": "face.compared"})  # fmt: skip
        self.post(ev.FaceMatched(e.op, decision))


class MeteredTransport(TransportWrapper):
    """Counts the APDUs of one read and the status words the card answered (the chip metrics)."""

    def __init__(self, inner: Transport) -> None:
        super().__init__(inner)
        self.apdus = 0
        self.status_words: dict[str, int] = {}

    def transmit(self, command: bytes) -> bytes:
        self.apdus += 1
        response = self.inner.transmit(command)
        if len(response) >= 2:
            sw = response[-2:].hex().upper()
            self.status_words[sw] = self.status_words.get(sw, 0) + 1
        return response


def utc_now() -> datetime:
    return datetime.now(UTC)


class FlowDriver:
    """Runs the machine: a queue of events in, views out.  ``clock`` and ``monotonic`` are injectable."""

    def __init__(self, config: FlowConfig, *, clock: Callable[[], datetime] = utc_now,
                 monotonic: Callable[[], float] = time.monotonic,
                 card_left: bool = False) -> None:  # fmt: skip
        """``card_left``: a card lies on the reader as the kiosk starts (nobody's card for the next
        transaction: its place-card step asks for it to be lifted off first)."""
        self.config, self.clock, self.monotonic = config, clock, monotonic
        self.events: queue.Queue[ev.Event] = queue.Queue()
        self.runner: EffectRunner | None = None
        self.listeners: list[Callable[[View], None]] = []
        #: Called by :meth:`process` on the driving thread while the kiosk is idle (the attract loop, between
        #: transactions), before the next event: where a new configuration takes over (cccd/fleet.py).
        #: Each must return at once (the UI's thread drives the flow).
        self.idle_hooks: list[Callable[[], None]] = []
        self._timer: tuple[float, int] | None = None
        first = initial(config, card_left_at=clock() if card_left else None)
        self.session: Session = first.session
        self._pending = first.effects

    def attach(self, runner: EffectRunner) -> None:
        self.runner = runner
        self._apply(self._pending)

    def post(self, event: ev.Event) -> None:
        """Thread-safe: intents from the UI and results from the runner."""
        self.events.put(event)

    def view(self) -> View:
        return render(self.session, self.config)

    def _apply(self, effects: tuple[fx.Effect, ...]) -> None:
        for effect in effects:
            if isinstance(effect, fx.StartTimer):
                self._timer = (self.monotonic() + effect.seconds, effect.token)
            elif self.runner is not None:
                self.runner.perform(effect)

    def _next_event(self, wait: float) -> ev.Event | None:
        if self._timer is not None:
            due, token = self._timer
            left = due - self.monotonic()
            if left <= 0:
                self._timer = None
                return ev.TimerExpired(token)
            wait = min(wait, left)
        try:
            return self.events.get(timeout=max(0.0, wait))
        except queue.Empty:
            return None

    def process(self, wait: float = 0.1) -> bool:
        """Handle at most one event (waiting up to ``wait`` seconds).  True when the state changed."""
        if self.session.state is State.ATTRACT:
            for hook in self.idle_hooks:
                try:
                    hook()
                except Exception:  # a broken hook must not stop the kiosk from serving
                    log.exception("idle hook failed")
        event = self._next_event(wait)
        if event is None:
            return False
        before = self.session.state
        log.debug("event %r in %s", event, before.value)
        result = step(self.session, event, self.config, self.clock())
        if not result.handled:
            log.debug("ignored %s in %s: %s", type(event).__name__, before.value, result.note)
            return False
        self.session = result.session
        if self.session.state is not before:
            log.info("%s --%s--> %s", before.value, type(event).__name__, self.session.state.value,
                     extra={"event": "flow.transition", "from": before.value, "to": self.session.state.value,
                            "on": type(event).__name__})  # fmt: skip
        if self.session.state is State.WIPE and before is not State.WIPE:  # a transaction ends
            s = self.session
            outcome = "verified" if s.verified and s.fallback is None else str(s.fallback)
            TRANSACTIONS.labels(self.config.profile, outcome).inc()
        self._apply(result.effects)
        view = self.view()
        for listener in self.listeners:
            listener(view)
        return self.session.state is not before

    def reconfigure(self, config: FlowConfig) -> None:
        """The next transaction runs on ``config`` (only between transactions: the attract loop)."""
        if self.session.state is not State.ATTRACT:
            raise RuntimeError("the flow's configuration changes only between transactions")
        self.config = config

    def timer_due_in(self) -> float | None:
        """Seconds until the current state's timer expires (``None``: no timer runs)."""
        return None if self._timer is None else self._timer[0] - self.monotonic()

    def run(self, stop: threading.Event) -> None:
        """Process events until ``stop`` is set (the UI's driver thread)."""
        while not stop.is_set():
            self.process(0.2)

    @property
    def state(self) -> State:
        return self.session.state
