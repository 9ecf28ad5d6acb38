"""Guest declarations in a bulk-upload layout for the police's lodging system ("lưu trú", ASM), as XLSX or
CSV (docs/lodging.md).

**The layout is a best guess**: no published import template of the police system was found.  The default
(:data:`DEFAULT_LAYOUT`, ``asm-guess-1``) puts the fields the law asks for (Law on Residence 2020 Art. 30,
Circular 55/2021: name, personal ID number, reason, period of stay, lodging address) in the order and with
the date forms (``dd/mm/yyyy``, ``dd/mm/yyyy HH:mm``) of the police's lodging declaration screen.  A
deployer whose ward police hand out their own template describes it in a TOML file instead
(:func:`load_layout`)::

    name = "phuong-ben-thanh-2026"
    sheet = "DanhSach"
    [[columns]]
    header = "Họ tên"
    field = "full_name"          # one of FIELDS
    [[columns]]
    header = "Ngày sinh"
    field = "birth_date"
    format = "dd/mm/yyyy"        # dd/mm/yyyy | dd/mm/yyyy HH:mm | yyyy-mm-dd | text

Cells a spreadsheet would run as a formula are prefixed with ``'`` (OWASP "CSV injection");
kiosk/connectors/lodging_export.py writes the webhook's own columns through the same exporter.
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from kiosk.connectors.lodging import GuestDeclaration

FORMATS = ("text", "dd/mm/yyyy", "dd/mm/yyyy HH:mm", "yyyy-mm-dd")
#: What a column can hold: the declaration's fields plus ``row_number`` and ``document_type``.
FIELDS = frozenset(GuestDeclaration.__dataclass_fields__) | {"row_number", "document_type"}


class LayoutError(ValueError):
    """A layout file is unreadable or names a field / format that does not exist."""


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    field: str
    format: str = "text"


@dataclass(frozen=True, slots=True)
class Layout:
    name: str
    columns: tuple[Column, ...]
    sheet: str = "DanhSachLuuTru"
    document_type: str = "CCCD"  # "Loại giấy tờ": CCCD (2021 card) / Căn cước (2024 card) — see card-2024.md

    def row(self, number: int, d: GuestDeclaration) -> list[str]:
        values: Mapping[str, Any] = d.as_row() | {"row_number": number, "document_type": self.document_type}
        return [_safe(_format(values.get(c.field), c.format)) for c in self.columns]


DEFAULT_LAYOUT = Layout(
    "asm-guess-1",
    (
        Column("STT", "row_number"),
        Column("Họ và tên", "full_name"),
        Column("Ngày sinh", "birth_date", "dd/mm/yyyy"),
        Column("Loại giấy tờ", "document_type"),
        Column("Số giấy tờ", "id_number"),
        Column("Quốc tịch", "nationality"),
        Column("Số phòng", "room"),
        Column("Thời gian đến", "arrival", "dd/mm/yyyy HH:mm"),
        Column("Lưu trú từ ngày", "check_in", "dd/mm/yyyy"),
        Column("Lưu trú đến ngày", "check_out", "dd/mm/yyyy"),
        Column("Lý do lưu trú", "reason"),
        Column("Cơ sở lưu trú", "establishment_name"),
        Column("Địa chỉ lưu trú", "establishment_address"),
    ),
)


def load_layout(path: Path) -> Layout:
    """A layout from a TOML file (see the module docstring)."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
        columns = tuple(Column(str(c["header"]), str(c["field"]), str(c.get("format", "text")))
                        for c in data["columns"])  # fmt: skip
        layout = Layout(str(data.get("name", path.stem)), columns, str(data.get("sheet", "DanhSachLuuTru")),
                        str(data.get("document_type", "CCCD")))  # fmt: skip
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise LayoutError(f"{path.name}: not a layout ({type(exc).__name__}: {exc})") from None
    for c in layout.columns:
        if c.field not in FIELDS:
            raise LayoutError(f"{path.name}: unknown field {c.field!r}")
        if c.format not in FORMATS:
            raise LayoutError(f"{path.name}: unknown format {c.format!r}")
    if not layout.columns:
        raise LayoutError(f"{path.name}: no columns")
    return layout


def _format(value: Any, fmt: str) -> str:
    if value is None or value == "":
        return ""
    if fmt == "text":
        return str(value)
    text = str(value)
    try:
        when = (
            datetime.fromisoformat(text)
            if "T" in text
            else datetime.combine(date.fromisoformat(text), datetime.min.time())
        )
    except ValueError:
        return text  # keep what we have rather than drop it
    if fmt == "dd/mm/yyyy":
        return when.strftime("%d/%m/%Y")
    if fmt == "dd/mm/yyyy HH:mm":
        return when.strftime("%d/%m/%Y %H:%M")
    return when.date().isoformat()


def _safe(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_xlsx(declarations: Iterable[GuestDeclaration], path: Path, layout: Layout = DEFAULT_LAYOUT) -> int:
    """One sheet, a header row, one row per guest, text cells only; returns the number of guests."""
    wb = Workbook()
    ws = wb.active
    if ws is None:  # pragma: no cover - a new workbook always has a sheet
        ws = wb.create_sheet()
    ws.title = layout.sheet[:31]
    ws.append([c.header for c in layout.columns])
    count = 0
    for count, d in enumerate(declarations, start=1):
        ws.append(layout.row(count, d))
    for row in ws.iter_rows():
        for cell in row:
            cell.number_format = "@"  # text: keeps leading zeros of ID numbers and dd/mm/yyyy as typed
    wb.save(path)
    return count


def export_csv(declarations: Iterable[GuestDeclaration], path: Path, layout: Layout = DEFAULT_LAYOUT) -> int:
    """UTF-8 with BOM, comma-separated; returns the number of guests."""
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([c.header for c in layout.columns])
        for count, d in enumerate(declarations, start=1):
            writer.writerow(layout.row(count, d))
    return count
