"""Retention on schedule: a running kiosk purges between transactions, at most once an hour, and retries a
failed purge after the next transaction."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from kiosk.flow import effects as fx
from kiosk.runtime.runner import PURGE_INTERVAL, EffectRunner


class _Store:
    def __init__(self) -> None:
        self.calls: list[tuple[float, int]] = []
        self.fail = False

    def purge(self, now: float, audit_days: int) -> Any:
        if self.fail:
            raise OSError("disk full")
        self.calls.append((now, audit_days))
        return SimpleNamespace(results=0, outbox=0, consents=0, audit=0)


def test_purge_after_transactions_at_most_hourly() -> None:
    store, now = _Store(), [1000.0]
    services = SimpleNamespace(
        store=store, profile=SimpleNamespace(retention=SimpleNamespace(audit_days=365))
    )
    runner = EffectRunner(services, lambda event: None, wall=lambda: now[0])  # type: ignore[arg-type]
    try:
        runner._wipe(fx.Wipe(1))
        assert store.calls == [(1000.0, 365)]
        now[0] += PURGE_INTERVAL / 2
        runner._wipe(fx.Wipe(2))
        assert len(store.calls) == 1
        now[0] += PURGE_INTERVAL
        store.fail = True
        runner._wipe(fx.Wipe(3))  # a failed purge is logged, not raised
        store.fail = False
        runner._wipe(fx.Wipe(4))  # … and retried after the next transaction
        assert len(store.calls) == 2
    finally:
        runner.close()
