"""The service step's data as the institutions receive it: the HIS webhook's ``visit`` (department and
queue number) and the lodging declaration's stay, through the relay and the reference receiver."""

from __future__ import annotations

import json
import random
import time

from kiosk.delivery import ConnectorRegistry, Relay
from kiosk.keys import KeyStore, RecordSigner
from kiosk.profiles import Profile
from kiosk.storage import KioskStore
from tests.helpers.delivery import TEST_ID, RunningReceiver, make_record

HOSPITAL = {"department": "NOI", "visit_type": "follow_up", "department_name": "Khám Nội",
            "queue_number": "NOI-017", "queue_day": "2026-03-01"}  # fmt: skip
LODGING = {"room": "305", "check_in": "2026-03-01", "nights": "2", "reason": "Thăm thân",
           "check_out": "2026-03-03"}  # fmt: skip


def test_service_data_reaches_the_receiver(
    store: KioskStore, keys: KeyStore, profiles: dict[str, Profile], receiver: RunningReceiver
) -> None:
    for name, stay in (("hospital", HOSPITAL), ("lodging", LODGING)):
        p = profiles[name]
        r = make_record(p, service={**p.service, **stay})
        store.save_verification(r, p, time.time(), id_number=TEST_ID)
    registry = ConnectorRegistry(profiles, RecordSigner(keys, "urn:cccd:kiosk:test"), receiver.url)
    relay = Relay(store, registry, rng=random.Random(3), workers=2)
    try:
        relay.run_once()
    finally:
        relay.close()
    assert store.counts()["dead"] == 0 and store.counts()["pending"] == 0
    bodies = {str(e): json.loads(b) for e, b in
              receiver.store.conn.execute("SELECT endpoint, body FROM deliveries").fetchall()}  # fmt: skip
    his = bodies["/webhooks/his"]["data"]
    assert his["visit"] == {"department_code": "NOI", "department_name": "Khám Nội",
                            "queue_number": "NOI-017", "queue_day": "2026-03-01",
                            "visit_type": "follow_up"}  # fmt: skip
    assert his["patient"]["SO_CCCD"] == TEST_ID and his["patient"]["MA_CSKCB"] == "00000"
    guest = bodies["/webhooks/pms"]["data"]["guest_declaration"]
    assert (guest["room"], guest["check_in"], guest["check_out"], guest["nights"], guest["reason"]) == (
        "305", "2026-03-01", "2026-03-03", 2, "Thăm thân")
    assert guest["id_number"] == TEST_ID and guest["establishment_address"]
    assert not any(k in json.dumps(guest) for k in ("image", "jpeg", "face"))
