"""Storage: one transaction for result + outbox + evidence + audit; sealing; audit tamper detection; purge."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from kiosk.keys import KeyStore
from kiosk.profiles import Profile
from kiosk.record import ConsentRecord
from kiosk.storage import DAY, AuditError, KioskStore
from tests.helpers.delivery import IMAGES, KIOSK, T0, TEST_ID, TEST_NAME, make_record


def _save(store: KioskStore, profile: Profile, now: float | None = None, **kw: object) -> str:
    r = make_record(profile)
    images = IMAGES if profile.name == "bank" else None
    store.save_verification(r, profile, now or time.time(), images=images, id_number=TEST_ID)
    return r.verification_id


def test_result_outbox_and_audit_in_one_transaction(store: KioskStore, profiles: dict[str, Profile]) -> None:
    vid = _save(store, profiles["hospital"])
    rows = store.list_outbox("pending")
    assert [(i.verification_id, i.connector) for i in rows] == [(vid, "fhir"), (vid, "his")]
    assert store.record(vid)["verification_id"] == vid
    r = make_record(profiles["hospital"], verification_id=vid)  # the same ID again: the insert fails
    with pytest.raises(sqlite3.IntegrityError):
        store.save_verification(r, profiles["hospital"], time.time())
    assert len(store.list_outbox()) == 2  # nothing half-written
    report = store.verify_audit()
    assert report.ok and report.entries == 1


def test_personal_data_is_sealed_at_rest(
    tmp_path: Path, store: KioskStore, profiles: dict[str, Profile]
) -> None:
    _save(store, profiles["bank"])
    store.db.conn.execute("PRAGMA wal_checkpoint(FULL)")
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("kiosk.db*"))
    for secret in (TEST_ID.encode(), TEST_NAME.encode(), b"live-jpeg-bytes", b"Nguy"):
        assert secret not in raw
    audit = [r[0] for r in store.db.conn.execute("SELECT data FROM audit")]
    assert "079303***234" in audit[0] and TEST_ID not in audit[0]


def test_images_only_for_the_bank(store: KioskStore, profiles: dict[str, Profile]) -> None:
    with pytest.raises(ValueError, match="never stores biometric"):
        store.save_verification(
            make_record(profiles["hospital"]), profiles["hospital"], time.time(), images=IMAGES
        )
    vid = _save(store, profiles["bank"])
    assert store.biometric_images(vid) == IMAGES


def test_audit_refuses_unmasked_ids(store: KioskStore) -> None:
    with pytest.raises(AuditError):
        store.audit("note", {"who": TEST_ID}, time.time())
    with pytest.raises(AuditError):
        store.audit("note", {"nested": ["doc 303001234"]}, time.time())


def _chain(store: KioskStore, profiles: dict[str, Profile], n: int = 5) -> None:
    for _ in range(n):
        _save(store, profiles["lodging"])
    assert store.verify_audit().ok


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        ("UPDATE audit SET data = replace(data, 'verified', 'referred') WHERE seq = 3", "altered"),
        ("UPDATE audit SET at = at + 1 WHERE seq = 2", "altered"),
        ("DELETE FROM audit WHERE seq = 3", "missing"),
        ("DELETE FROM audit WHERE seq = 5", "missing at the end"),
        ("DELETE FROM audit WHERE seq = 1", "missing"),
        ("INSERT INTO audit SELECT 6, at, event, data, prev, mac FROM audit WHERE seq = 5", "inserted"),
        ("UPDATE audit SET seq = seq + 10 WHERE seq = 5", "missing"),
        ("UPDATE audit_anchor SET seq = 4 WHERE name = 'head'", "anchor has been altered"),
        ("DELETE FROM audit_anchor", "head anchor is missing"),
    ],
)
def test_audit_tamper_detection(
    store: KioskStore, profiles: dict[str, Profile], tamper: str, problem: str
) -> None:
    _chain(store, profiles)
    store.db.conn.execute(tamper)
    report = store.verify_audit()
    assert not report.ok and problem in (report.problem or "")


def test_audit_insertion_in_the_middle(store: KioskStore, profiles: dict[str, Profile]) -> None:
    _chain(store, profiles)
    conn = store.db.conn
    conn.execute("UPDATE audit SET seq = seq + 100 WHERE seq >= 3")  # make room
    conn.execute("UPDATE audit SET seq = seq - 99 WHERE seq >= 100")
    conn.execute("INSERT INTO audit VALUES (3, 0, 'forged', '{}', ?, ?)", ("0" * 64, "1" * 64))
    report = store.verify_audit()
    assert not report.ok and report.at_seq == 3


def test_audit_rewritten_without_the_key_is_detected(
    tmp_path: Path, store: KioskStore, profiles: dict[str, Profile]
) -> None:
    _chain(store, profiles, 2)
    # an attacker recomputes a chain with a key of their own: every MAC differs from the kiosk's
    other = KioskStore(tmp_path / "other.db", KeyStore.open(tmp_path / "other-keys"))
    _chain(other, profiles, 2)
    other.close()
    store.db.conn.execute("DELETE FROM audit")
    store.db.conn.execute("ATTACH DATABASE ? AS o", (str(tmp_path / "other.db"),))
    store.db.conn.execute("INSERT INTO audit SELECT * FROM o.audit")
    store.db.conn.execute("INSERT OR REPLACE INTO audit_anchor SELECT * FROM o.audit_anchor")
    assert not store.verify_audit().ok


def test_retention_purge(store: KioskStore, profiles: dict[str, Profile]) -> None:
    old = time.time() - 40 * DAY
    lodging, bank = profiles["lodging"], profiles["bank"]
    consent = ConsentRecord.create(
        lodging, "en", {"residence_declaration": False}, "touch", KIOSK.device_id, T0
    )
    store.save_consent(consent, lodging, time.time() - 400 * DAY)  # lodging keeps consent 365 days
    vid_old = _save(store, lodging, now=old)
    vid_bank = _save(store, bank, now=old)  # undelivered bank evidence must survive any purge
    vid_new = _save(store, lodging)
    sent = [i for i in store.due(time.time()) if i.verification_id == vid_old]
    store.record_outcomes([(sent[0], "sent", 200, None, old)], old)
    report = store.purge(time.time(), audit_days=30)
    assert (report.results, report.outbox, report.consents) == (1, 1, 1)
    remaining = {r[0] for r in store.db.conn.execute("SELECT verification_id FROM results")}
    assert remaining == {vid_bank, vid_new}
    assert store.biometric_images(vid_bank) == IMAGES
    assert report.audit >= 3  # the old entries left, the chain restarts after them
    assert store.verify_audit().ok


def test_biometric_evidence_deleted_after_acknowledgement(
    store: KioskStore, profiles: dict[str, Profile]
) -> None:
    vid = _save(store, profiles["bank"])
    (item,) = store.due(time.time())
    assert item.carries_biometrics
    store.record_outcomes([(item, "retry", 503, "HTTP 503", time.time())], time.time())
    assert store.biometric_images(vid) is not None
    (item,) = store.due(time.time() + 1)
    store.record_outcomes([(item, "sent", 200, None, time.time())], time.time())
    assert store.biometric_images(vid) is None
    assert store.verify_audit().ok


def test_dead_letters_and_retry(store: KioskStore, profiles: dict[str, Profile]) -> None:
    _save(store, profiles["lodging"])
    (item,) = store.due(time.time())
    store.record_outcomes([(item, "dead", 401, "HTTP 401", time.time())], time.time())
    assert store.counts() == {"pending": 0, "sent": 0, "dead": 1}
    assert store.due(time.time()) == []
    with pytest.raises(ValueError, match="not dead-lettered"):
        store.retry_dead([item.id + 100], time.time())
    assert store.retry_dead([item.id], time.time()) == 1
    assert [i.id for i in store.due(time.time())] == [item.id]
    assert store.verify_audit().ok


def test_audit_accepts_ulids_with_digit_runs(store: KioskStore) -> None:
    store.audit("note", {"verification_id": "01J123456789012345ABCDEFGH"}, time.time())
    assert store.verify_audit().ok
