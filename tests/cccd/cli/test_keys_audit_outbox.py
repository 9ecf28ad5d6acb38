"""`cccd keys|audit|outbox` in-process, against real files."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from cccd.cli import main
from kiosk.keys import KeyStore
from kiosk.profiles import Profile
from kiosk.storage import KioskStore
from tests.helpers.delivery import make_record


def test_keys_show_and_rotate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = str(tmp_path / "keys")
    assert main(["keys", "show", "--keys", d]) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(["keys", "rotate", "--keys", d]) == 0
    capsys.readouterr()
    assert main(["keys", "show", "--keys", d]) == 0
    second = json.loads(capsys.readouterr().out)
    assert len(second["keys"]) == 2 and second["keys"][1]["kid"] == first["keys"][0]["kid"]
    assert all("d" not in k for k in second["keys"])  # public keys only


def test_audit_verify(
    tmp_path: Path, keys: KeyStore, profiles: dict[str, Profile], capsys: pytest.CaptureFixture[str]
) -> None:
    store = KioskStore(tmp_path / "k.db", keys)
    for _ in range(3):
        store.save_verification(make_record(profiles["lodging"]), profiles["lodging"], time.time())
    args = ["audit", "verify", "--db", str(tmp_path / "k.db"), "--keys", str(keys.directory)]
    assert main(args) == 0 and "intact: 3 entries" in capsys.readouterr().out
    store.db.conn.execute("DELETE FROM audit WHERE seq = 2")
    store.close()
    assert main(args) == 1 and "TAMPERED" in capsys.readouterr().out


def test_outbox_list_and_retry(
    tmp_path: Path, keys: KeyStore, profiles: dict[str, Profile], capsys: pytest.CaptureFixture[str]
) -> None:
    store = KioskStore(tmp_path / "k.db", keys)
    store.save_verification(make_record(profiles["hospital"]), profiles["hospital"], time.time())
    items = store.due(time.time())
    store.record_outcomes([(items[0], "dead", 404, "HTTP 404", time.time())], time.time())
    store.close()
    common = ["--db", str(tmp_path / "k.db"), "--keys", str(keys.directory)]
    assert main(["outbox", "list", "--json", *common]) == 0
    dead = json.loads(capsys.readouterr().out)
    assert [d["last_status"] for d in dead] == [404]
    assert main(["outbox", "list", "--state", "all", *common]) == 0
    assert "pending 1, sent 0, dead 1" in capsys.readouterr().out
    assert main(["outbox", "retry", "999", *common]) == 2
    assert "not dead-lettered" in capsys.readouterr().err
    assert main(["outbox", "retry", *common]) == 0 and "1 dead letter" in capsys.readouterr().out
    assert main(["outbox", "purge", *common]) == 0


def test_receiver_refuses_non_loopback_and_missing_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["receiver", "--host", "0.0.0.0", "--port", "0"]) == 2
    monkeypatch.delenv("CCCD_WEBHOOK_SECRET", raising=False)
    assert main(["receiver", "--port", "0", "--keys", str(tmp_path)]) == 2
    assert "no webhook secret" in capsys.readouterr().err
