"""The lodging declaration register (kiosk.storage.lodging_register) on the kiosk's clock, the bulk-upload
export (kiosk.connectors.lodging_asm) and ``cccd lodging``."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from cccd.cli import main
from kiosk.connectors.lodging import GuestDeclaration, guest_declaration
from kiosk.connectors.lodging_asm import DEFAULT_LAYOUT, LayoutError, export_csv, export_xlsx, load_layout
from kiosk.keys import KeyStore
from kiosk.profiles import Profile
from kiosk.record import new_ulid
from kiosk.storage import KioskStore
from kiosk.storage.db import Database
from kiosk.storage.lodging_register import LodgingRegister, RegisterError
from kiosk.timezone import VIETNAM
from tests.helpers.delivery import TEST_ID, TEST_NAME, make_record

DAY = datetime(2026, 3, 1, tzinfo=VIETNAM)


def _at(hour: int, minute: int = 0, days: int = 0) -> datetime:
    return DAY + timedelta(days=days, hours=hour, minutes=minute)


def _guest(
    profiles: dict[str, Profile], arrival: datetime, room: str = "B12", **stay: str
) -> GuestDeclaration:
    lodging = profiles["lodging"]
    service = {
        "room": room,
        "check_in": arrival.date().isoformat(),
        "nights": "2",
        "reason": "Công tác",
        "check_out": (arrival.date() + timedelta(days=2)).isoformat(),
        "arrival": arrival.isoformat(),
    }
    service.update(stay)
    record = make_record(lodging, service=service, verification_id=new_ulid()).document
    d = guest_declaration(record, lodging.service)
    assert d is not None
    return d


@pytest.fixture
def reg(tmp_path: Path, keys: KeyStore) -> LodgingRegister:
    return LodgingRegister(Database(tmp_path / "kiosk.db"), keys)


def test_deadlines_on_the_kiosks_clock(reg: LodgingRegister, profiles: dict[str, Profile]) -> None:
    afternoon = _guest(profiles, _at(14))
    late = _guest(profiles, _at(23, 30), room="C01")
    assert reg.add(afternoon, _at(14)) and reg.add(late, _at(23, 30))
    assert not reg.add(afternoon, _at(15))  # idempotent
    by_id = {e.verification_id: e for e in reg.entries(_at(20))}
    assert (
        by_id[afternoon.verification_id].due_at == _at(23)
        and by_id[afternoon.verification_id].urgency == "open"
    )
    assert by_id[late.verification_id].due_at == _at(8, days=1)  # after 23:00: 08:00 the next day
    assert [e.urgency for e in reg.entries(_at(21, 30))] == ["due_soon", "open"]  # warned 2 h before
    assert reg.warnings(_at(21, 30)) == {"overdue": 0, "due_soon": 1, "departures": 0}
    at_23 = reg.entries(_at(23))
    assert at_23[0].verification_id == afternoon.verification_id and at_23[0].urgency == "overdue"
    reg.mark_exported([afternoon.verification_id], _at(23, 5))
    assert reg.entries(_at(23, 10))[0].urgency == "overdue"  # exported is not declared
    reg.mark_declared([afternoon.verification_id], _at(23, 20))
    assert [e.urgency for e in reg.entries(_at(23, 40))] == ["open", "done"]
    assert [e.urgency for e in reg.entries(_at(7, days=1))] == ["due_soon", "done"]
    assert reg.entries(_at(8, days=1), open_only=True)[0].urgency == "overdue"
    with pytest.raises(RegisterError):
        reg.mark_exported([afternoon.verification_id], _at(23, 30))  # already declared
    with pytest.raises(RegisterError):
        reg.mark_declared(["01NOTTHERE"], _at(23, 30))


def test_registered_ahead_is_due_on_the_first_night(
    reg: LodgingRegister, profiles: dict[str, Profile]
) -> None:
    ahead = _guest(profiles, _at(10), check_in="2026-03-05", check_out="2026-03-07")
    reg.add(ahead, _at(10))
    assert reg.entries(_at(10))[0].due_at == datetime(2026, 3, 5, 23, 0, tzinfo=VIETNAM)


def test_check_out_and_departures(reg: LodgingRegister, profiles: dict[str, Profile]) -> None:
    a, b = _guest(profiles, _at(14), room="B12"), _guest(profiles, _at(15), room="B12")
    c = _guest(profiles, _at(16), room="A01")
    for g in (a, b, c):
        reg.add(g, _at(16))
    reg.mark_declared([a.verification_id, b.verification_id, c.verification_id], _at(17))
    out = reg.check_out(_at(10, days=1), room="B12")
    assert sorted(out) == sorted([a.verification_id, b.verification_id])
    assert reg.warnings(_at(11, days=1))["departures"] == 2
    entry = next(
        e
        for e in reg.entries(_at(11, days=1), with_declarations=True)
        if e.verification_id == a.verification_id
    )
    assert entry.check_out_date == "2026-03-02" and entry.declaration is not None
    assert entry.declaration.check_out == "2026-03-02"  # the planned 03-03 became the actual day
    assert entry.urgency == "open"  # the departure is still to report
    with pytest.raises(RegisterError):
        reg.check_out(_at(12, days=1), room="B12")  # nobody left in B12
    with pytest.raises(RegisterError):
        reg.mark_departures_reported([c.verification_id], _at(12, days=1))  # c has not left
    reg.mark_departures_reported(out, _at(12, days=1))
    assert reg.warnings(_at(12, days=1)) == {"overdue": 0, "due_soon": 0, "departures": 0}
    assert reg.purge(_at(12, days=40), keep_days=30) == 2
    assert [e.verification_id for e in reg.entries(_at(12, days=40))] == [c.verification_id]


def test_personal_data_is_sealed(tmp_path: Path, reg: LodgingRegister, profiles: dict[str, Profile]) -> None:
    reg.add(_guest(profiles, _at(14)), _at(14))
    reg.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = (tmp_path / "kiosk.db").read_bytes()
    assert TEST_NAME.encode() not in raw and TEST_ID.encode() not in raw
    assert (TEST_ID[:6] + "***").encode() in raw  # the masked ID is what the list needs
    assert TEST_ID not in repr(reg.entries(_at(14))[0])


def test_export_layout(tmp_path: Path, profiles: dict[str, Profile]) -> None:
    g = replace(_guest(profiles, _at(14, 5)), full_name="=HYPERLINK(evil)")
    assert export_xlsx([g], tmp_path / "x.xlsx") == 1
    ws = load_workbook(tmp_path / "x.xlsx").active
    assert ws is not None
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == [c.header for c in DEFAULT_LAYOUT.columns]
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["STT"] == "1" and row["Họ và tên"] == "'=HYPERLINK(evil)"
    assert row["Số giấy tờ"] == TEST_ID and row["Loại giấy tờ"] == "CCCD"  # the leading 0 is kept (text)
    assert row["Ngày sinh"] == "15/06/2003" and row["Thời gian đến"] == "01/03/2026 14:05"
    assert row["Lưu trú từ ngày"] == "01/03/2026" and row["Lưu trú đến ngày"] == "03/03/2026"
    layout_file = tmp_path / "ward.toml"
    layout_file.write_text(
        'name = "ward"\ndocument_type = "Căn cước"\n[[columns]]\nheader = "Số CCCD"\n'
        'field = "id_number"\n[[columns]]\nheader = "Đến"\nfield = "arrival"\n'
        'format = "yyyy-mm-dd"\n[[columns]]\nheader = "Loại"\nfield = "document_type"\n'
    )
    layout = load_layout(layout_file)
    assert export_csv([g], tmp_path / "x.csv", layout) == 1
    with (tmp_path / "x.csv").open(encoding="utf-8-sig") as f:
        assert list(csv.reader(f)) == [["Số CCCD", "Đến", "Loại"], [TEST_ID, "2026-03-01", "Căn cước"]]
    layout_file.write_text('[[columns]]\nheader = "X"\nfield = "face_image"\n')
    with pytest.raises(LayoutError, match="unknown field"):
        load_layout(layout_file)
    layout_file.write_text("not toml [")
    with pytest.raises(LayoutError):
        load_layout(layout_file)


def test_cli_walk(
    tmp_path: Path, keys: KeyStore, profiles: dict[str, Profile], capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "kiosk.db"
    store = KioskStore(db, keys)
    now = datetime.now(VIETNAM)
    stay = {
        "room": "B12",
        "check_in": now.date().isoformat(),
        "nights": "1",
        "reason": "Du lịch",
        "check_out": (now.date() + timedelta(days=1)).isoformat(),
        "arrival": now.isoformat(),
    }
    record = make_record(profiles["lodging"], service=stay)
    store.save_verification(record, profiles["lodging"], now.timestamp(), id_number=TEST_ID)
    store.save_verification(make_record(profiles["hospital"]), profiles["hospital"], now.timestamp())
    store.close()
    base = ["lodging", "--db", str(db), "--keys", str(keys.directory), "--json"]
    assert main([*base, "sync"]) == 0 and json.loads(capsys.readouterr().out) == {"added": 1}
    assert main([*base, "sync"]) == 0 and json.loads(capsys.readouterr().out) == {"added": 0}
    assert main([*base, "list"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [g["state"] for g in listed["guests"]] == ["pending"] and TEST_ID not in json.dumps(listed)
    out = tmp_path / "upload.xlsx"
    assert main([*base, "export", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["guests"] == 1 and (out.stat().st_mode & 0o777) == 0o600
    assert main([*base, "export", str(tmp_path / "again.csv")]) == 0  # nothing pending any more
    assert json.loads(capsys.readouterr().out)["guests"] == 0
    assert main([*base, "declared", "--exported"]) == 0
    capsys.readouterr()
    assert main([*base, "list", "--check"]) == 0  # declared: nothing overdue
    capsys.readouterr()
    assert main([*base, "checkout", "--room", "B12"]) == 0
    assert json.loads(capsys.readouterr().out)["checked_out"] == [record.verification_id]
    assert main([*base, "departed", record.verification_id]) == 0
    assert main([*base, "checkout", "--room", "B12"]) == 2  # nobody left
    assert main([*base, "declared"]) == 2
