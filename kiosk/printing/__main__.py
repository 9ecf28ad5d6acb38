"""``python -m kiosk.printing DIR``: write the ticket previews of docs/printing.md (docs/printing/*.png)
— the exact rasters a printer gets, for a sample queue ticket and receipt in both languages."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from kiosk.printing import queue_ticket, receipt, render

AT = datetime(2026, 12, 4, 8, 52)
REF = "01JF3Q8ZK7T2V9XW4M6N5P3R2B"  # a sample verification ID (ULID)


def previews(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    site = {"vi": "Bệnh viện Đa khoa Tỉnh", "en": "Provincial General Hospital"}
    dept = {"vi": "Khoa Nội tổng hợp", "en": "Internal Medicine"}
    out = []
    for lang in ("vi", "en"):
        for mm in (58, 80):
            t = queue_ticket(lang, "NOI-017", dept[lang], AT, reference=REF, site=site[lang], counter="3")
            path = folder / f"ticket-queue-{lang}-{mm}mm.png"
            render(t, mm).save(path)
            out.append(path)
        r = receipt(lang, "verified", AT, REF, (("room", "204"), ("nights", "2")), site="Khách sạn Sông Hồng")
        path = folder / f"ticket-receipt-{lang}-80mm.png"
        render(r, 80).save(path)
        out.append(path)
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        print("usage: python -m kiosk.printing DIR", file=sys.stderr)
        sys.exit(2)
    for p in previews(Path(sys.argv[1])):
        print(p)
