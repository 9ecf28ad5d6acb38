"""Guest declarations as CSV and XLSX, for upload to the police e-service portal (no public API exists).

Cells that a spreadsheet would run as a formula (leading ``=``, ``+``, ``-``, ``@``, tab or CR) are
prefixed with ``'`` (OWASP "CSV injection").  The writing is kiosk/connectors/lodging_asm.py's, with the
webhook's columns as the layout.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from kiosk.connectors import lodging_asm
from kiosk.connectors.lodging import COLUMNS, GuestDeclaration
from kiosk.connectors.lodging_asm import Column, Layout

HEADERS_VI = {
    "verification_id": "Mã xác thực", "full_name": "Họ và tên", "id_number": "Số định danh cá nhân",
    "birth_date": "Ngày sinh", "nationality": "Quốc tịch", "reason": "Lý do lưu trú",
    "check_in": "Lưu trú từ ngày", "check_out": "Lưu trú đến ngày", "nights": "Số đêm", "room": "Phòng",
    "arrival": "Thời điểm đến",
    "establishment_name": "Cơ sở lưu trú", "establishment_address": "Địa chỉ cơ sở lưu trú",
    "declaration_due": "Hạn thông báo",
}  # fmt: skip


#: The webhook's own columns with Vietnamese headers, written by the ASM exporter
#: (kiosk/connectors/lodging_asm.py: the same text cells and formula-injection guard).
WEBHOOK_LAYOUT = Layout("webhook-columns", tuple(Column(HEADERS_VI[c], c) for c in COLUMNS),
                        sheet="Thong bao luu tru")  # fmt: skip


def export_csv(declarations: Iterable[GuestDeclaration], path: Path) -> int:
    """UTF-8 with BOM (so spreadsheet programs read Vietnamese correctly); returns the row count."""
    return lodging_asm.export_csv(declarations, path, WEBHOOK_LAYOUT)


def export_xlsx(declarations: Iterable[GuestDeclaration], path: Path) -> int:
    """One sheet, text cells only; returns the row count."""
    return lodging_asm.export_xlsx(declarations, path, WEBHOOK_LAYOUT)
