"""The kiosk's Prometheus metrics (issue 11 §8; docs/observability.md, "Metrics").

Defined once here on ``prometheus_client``'s default registry (which also carries the ``process_*``
collectors: resident memory, open file descriptors, CPU) and exported by the composition root
(:mod:`cccd.metrics`: a loopback ``/metrics`` or a node-exporter textfile).  Labels never carry personal
data or URLs: profiles, connector names, reader models, outcomes, status words.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_SECONDS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)

TRANSACTIONS = Counter("cccd_transactions", "Finished transactions by outcome: verified, or the reason the "
                       "person was sent to the counter (FACE_MISMATCH, CONSENT_REFUSED …)",
                       ["profile", "outcome"])  # fmt: skip
RECORDS = Counter("cccd_records", "Stored verification records by status (verified, referred, not_verified) "
                  "or persist_failed", ["profile", "status"])  # fmt: skip
CHIP_READ_SECONDS = Histogram("cccd_chip_read_seconds", "Chip read duration (access, files, passive and "
                              "active authentication) per reader model and result",
                              ["reader_model", "result"], buckets=_SECONDS)  # fmt: skip
CHIP_APDUS = Counter("cccd_chip_apdus", "Command APDUs sent to cards", ["reader_model"])
CHIP_STATUS_WORDS = Counter("cccd_chip_status_words", "Status words (SW1SW2, hex) the cards answered",
                            ["reader_model", "sw"])  # fmt: skip
CHIP_PACE_BAC_FALLBACKS = Counter("cccd_chip_pace_bac_fallbacks", "Reads that fell back from PACE to BAC",
                                  ["reader_model"])  # fmt: skip
FACE_CAPTURE_SECONDS = Histogram("cccd_face_capture_seconds", "Face capture time (until a live face or a "
                                 "failure)", ["result"], buckets=_SECONDS)  # fmt: skip
FACE_SCORE = Histogram("cccd_face_score", "Face comparison score (live face against the chip photo)",
                       ["decision"], buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0))  # fmt: skip
INSURANCE_CHECK_SECONDS = Histogram("cccd_insurance_check_seconds", "BHYT checks on the BHXH gateway by "
                                    "status (valid, expired, unavailable …; docs/insurance.md)", ["status"],
                                    buckets=_SECONDS)  # fmt: skip
OUTBOX_BACKLOG = Gauge("cccd_outbox_backlog", "Outbox rows not yet delivered (pending)")
OUTBOX_OLDEST_AGE = Gauge("cccd_outbox_oldest_age_seconds", "Age of the oldest pending outbox row")
DELIVERY_SECONDS = Histogram("cccd_delivery_seconds", "Delivery attempt latency per endpoint "
                             "(profile/connector)", ["endpoint"], buckets=_SECONDS)  # fmt: skip
DELIVERIES = Counter("cccd_deliveries", "Delivery attempts per endpoint and outcome (sent, retry, dead)",
                     ["endpoint", "outcome"])  # fmt: skip
DELIVERY_FAILURES = Counter("cccd_delivery_failures", "Failed delivery attempts per endpoint and reason "
                            "(HTTP status or network)", ["endpoint", "reason"])  # fmt: skip
HUB_HEARTBEAT_OK = Gauge("cccd_hub_last_heartbeat_ok_timestamp_seconds", "When the fleet hub last took "
                         "a heartbeat (Unix time; 0: not yet; docs/hub.md)")  # fmt: skip
HUB_BUNDLE_VERSION = Gauge("cccd_hub_bundle_version", "Version of the site bundle applied (0: none yet)")
HUB_BUNDLE = Gauge("cccd_hub_bundle_info", "The site bundle applied: its ETag (value 1)", ["etag"])
HUB_AGENT_FAILURES = Counter("cccd_hub_agent_failures", "Fleet agent failures: heartbeat, bundle (the hub "
                             "could not be asked), refused (a bundle that did not verify), apply",
                             ["kind"])  # fmt: skip


def observe_chip_read(reader_model: str, seconds: float, result: str, apdus: int,
                      status_words: dict[str, int], downgraded: bool) -> None:  # fmt: skip
    CHIP_READ_SECONDS.labels(reader_model, result).observe(seconds)
    CHIP_APDUS.labels(reader_model).inc(apdus)
    for sw, n in status_words.items():
        CHIP_STATUS_WORDS.labels(reader_model, sw).inc(n)
    if downgraded:
        CHIP_PACE_BAC_FALLBACKS.labels(reader_model).inc()


def observe_delivery(endpoint: str, seconds: float, outcome: str, status: int | None) -> None:
    DELIVERY_SECONDS.labels(endpoint).observe(seconds)
    DELIVERIES.labels(endpoint, outcome).inc()
    if outcome != "sent":
        reason = str(status) if status is not None else ("network" if outcome == "retry" else "local")
        DELIVERY_FAILURES.labels(endpoint, reason).inc()


def set_backlog(pending: int, oldest_age: float) -> None:
    OUTBOX_BACKLOG.set(pending)
    OUTBOX_OLDEST_AGE.set(oldest_age)
