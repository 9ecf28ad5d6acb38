"""The kiosk's own relay (issue 12 delivery, issue 11 §8): it serves every profile's rows, retries while
the kiosk is idle, and shares the relay lock with ``cccd outbox run`` so nothing is delivered twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from cccd.compose import Kiosk, KioskConfig, relay_until_idle
from cccd.headless import SCENARIOS, ScriptedUser, build_scenario_kiosk, run_flow
from kiosk.delivery import RelayLock
from kiosk.keys import KeyStore
from kiosk.profiles import Profile
from kiosk.storage import KioskStore
from tests.helpers.delivery import IMAGES, RunningReceiver, make_record

REPO = Path(__file__).resolve().parents[2]
Build = Callable[..., tuple[Kiosk, object]]  # profile name, idle relay interval → kiosk, simulated holder


def _until(cond: Callable[[], bool], seconds: float = 20.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


@pytest.fixture
def kiosk_for(tmp_path: Path, keys: KeyStore, receiver: RunningReceiver) -> Iterator[Build]:
    built: list[Kiosk] = []

    def build(profile: str = "lodging", interval: float = 0.1) -> tuple[Kiosk, object]:
        config = KioskConfig(tmp_path, deliver_to=receiver.url, relay_interval=interval)
        kiosk, card = build_scenario_kiosk(SCENARIOS["happy"], profile, config, face="ground-truth")
        built.append(kiosk)
        return kiosk, card

    yield build
    for k in built:
        k.close()


def test_the_idle_kiosk_delivers_every_profiles_rows(
    store: KioskStore, profiles: dict[str, Profile], receiver: RunningReceiver,
    kiosk_for: Build,
) -> None:  # fmt: skip
    """A lodging kiosk whose database holds rows of every profile (a profile change, `--profile all`):
    its relay delivers them all — no "profile not loaded" dead letter — with no transaction to start it."""
    kiosk_for("lodging")
    for p in profiles.values():
        store.save_verification(make_record(p), p, time.time(),
                                images=IMAGES if p.name == "bank" else None)  # fmt: skip
    assert _until(lambda: store.counts()["pending"] == 0)
    assert store.counts() == {"pending": 0, "sent": 5, "dead": 0}
    assert receiver.store.stats()["distinct_verifications"] == 4


def test_the_idle_relay_waits_for_the_relay_lock(
    tmp_path: Path, store: KioskStore, profiles: dict[str, Profile], kiosk_for: Build
) -> None:
    kiosk_for("lodging", interval=0.05)
    with RelayLock(tmp_path / "kiosk.db"):  # another relay (cccd outbox run) is delivering
        store.save_verification(make_record(profiles["lodging"]), profiles["lodging"], time.time())
        time.sleep(0.6)
        assert store.counts()["pending"] == 1
        assert REGISTRY.get_sample_value("cccd_outbox_backlog") == 1  # the idle checks keep the gauge current
    assert _until(lambda: store.counts()["sent"] == 1)


def test_the_kiosk_and_outbox_run_never_deliver_twice(
    tmp_path: Path, keys: KeyStore, secret: str, store: KioskStore, receiver: RunningReceiver,
    kiosk_for: Build,
) -> None:  # fmt: skip
    """The bug: beside `cccd outbox run`, the UI's relay (no lock) delivered 7 of 150 twice."""
    kiosk, card = kiosk_for("lodging", interval=0.02)
    env = dict(os.environ, CCCD_WEBHOOK_SECRET=secret)
    env.pop("PYTHONWARNINGS", None)
    argv = [sys.executable, "-m", "cccd", "outbox", "run", "--db", str(tmp_path / "kiosk.db"),
            "--keys", str(keys.directory), "--deliver-to", receiver.url, "--batch", "4"]  # fmt: skip
    relay = subprocess.Popen(argv,
                             cwd=REPO, env=env, text=True, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)  # fmt: skip
    try:
        user = ScriptedUser(SCENARIOS["happy"], card)
        n = 40
        for i in range(n):
            assert run_flow(kiosk, user, SCENARIOS["happy"]).outcome == "verified"
            if i == n // 2:
                relay.send_signal(signal.SIGTERM)  # the operator stops it mid-batch: the kiosk takes over
                relay.communicate(timeout=20)
        kiosk.runner.drain_storage()
        counts = relay_until_idle(kiosk, 30.0, pending=True)
    finally:
        if relay.poll() is None:
            relay.kill()
        relay.wait(10)
    stats = receiver.store.stats()
    assert counts == {"pending": 0, "sent": n, "dead": 0}
    assert stats["deliveries"] == n and stats["duplicates"] == 0
    assert stats["attempts"] == n  # every row was sent by exactly one relay, once
