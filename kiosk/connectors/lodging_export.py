"""Guest declarations as CSV and XLSX, for upload to the police e-service portal (no public API exists).

Cells that a spreadsheet would run as a formula (leading ``=``, ``+``, ``-``, ``@``, tab or CR) are
prefixed with ``'`` (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from kiosk.connectors.lodging import COLUMNS, GuestDeclaration

HEADERS_VI = {
    "verification_id": "Mã xác thực", "full_name": "Họ và tên", "id_number": "Số định danh cá nhân",
    "birth_date": "Ngày sinh", "nationality": "Quốc tịch", "reason": "Lý do lưu trú",
    "check_in": "Lưu trú từ ngày", "check_out": "Lưu trú đến ngày", "nights": "Số đêm", "room": "Phòng",
    "arrival": "Thời điểm đến",
    "establishment_name": "Cơ sở lưu trú", "establishment_address": "Địa chỉ cơ sở lưu trú",
    "declaration_due": "Hạn thông báo",
}  # fmt: skip


def _safe(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_csv(declarations: Iterable[GuestDeclaration], path: Path) -> int:
    """UTF-8 with BOM (so spreadsheet programs read Vietnamese correctly); returns the row count."""
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([HEADERS_VI[c] for c in COLUMNS])
        for d in declarations:
            writer.writerow([_safe(v) for v in d.as_row().values()])
            count += 1
    return count


def export_xlsx(declarations: Iterable[GuestDeclaration], path: Path) -> int:
    """One sheet, text cells only; returns the row count."""
    wb = Workbook()
    ws = wb.active
    if ws is None:  # pragma: no cover - a new workbook always has a sheet
        ws = wb.create_sheet()
    ws.title = "Thong bao luu tru"
    ws.append([HEADERS_VI[c] for c in COLUMNS])
    count = 0
    for d in declarations:
        ws.append([_safe(v) for v in d.as_row().values()])
        count += 1
    for index, column in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = max(14, len(HEADERS_VI[column]) + 2)
    wb.save(path)
    return count
