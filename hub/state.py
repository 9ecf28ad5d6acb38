"""What one hub replica holds while it runs: settings, the pool, the hub's signer, metrics."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from psycopg_pool import AsyncConnectionPool

from hub.bundle import EtagCache
from hub.config import HubSettings
from hub.jwks import KeySetCache
from kiosk.keys import KeyStore, RecordSigner


class Metrics:
    """Prometheus metrics of one replica (its own registry: several apps may live in one test process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "hub_requests_total", "HTTP requests by route and status", ["route", "status"], registry=r
        )
        self.ingested = Counter(
            "hub_records_total", "ingest outcomes (stored, duplicate, refused)", ["outcome"], registry=r
        )
        self.ingest_seconds = Histogram(
            "hub_ingest_seconds",
            "ingest request latency",
            registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        self.heartbeats = Counter("hub_heartbeats_total", "heartbeats accepted", registry=r)
        self.deliveries = Counter(
            "hub_fanout_deliveries_total", "fan-out outcomes (sent, retry, dead)", ["outcome"], registry=r
        )
        self.outbox = Gauge("hub_outbox_rows", "hub outbox rows by state", ["state"], registry=r)
        self.kiosks = Gauge(
            "hub_kiosks", "enrolled kiosks by state (online, offline, revoked)", ["state"], registry=r
        )


@dataclass
class HubState:
    settings: HubSettings
    pool: AsyncConnectionPool
    signer: RecordSigner
    keys: KeyStore
    metrics: Metrics = field(default_factory=Metrics)
    keysets: KeySetCache = field(default_factory=KeySetCache)
    clock: Callable[[], float] = time.time
    bundle_etags: EtagCache = field(default_factory=dict)  # the heartbeat's bundle_etag, per site
    kiosk_cache: dict[str, tuple[float, tuple[Any, ...]]] = field(
        default_factory=dict, repr=False
    )  # kiosks' webhook secrets

    @classmethod
    def create(
        cls, settings: HubSettings, pool: AsyncConnectionPool, clock: Callable[[], float] = time.time
    ) -> HubState:
        keys = KeyStore.open(Path(settings.keys_dir), create=True)
        return cls(settings, pool, RecordSigner(keys, settings.issuer), keys, clock=clock)
