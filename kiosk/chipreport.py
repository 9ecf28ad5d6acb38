"""The JSON report of a chip read: verdict, access, checks, document (from the chip), files, stats.

``document.photo`` describes the chip photo (format, width, height, bytes) — never the image itself.
"""

from __future__ import annotations

from typing import Any

from reader.engine import ChipReadResult, proof_summary, result_summary
from reader.errors import ParseError


def _mrz_section(raw: dict[str, bytes], reasons: list[str]) -> tuple[dict[str, Any] | None, str | None]:
    from reader.lds.dg1 import parse_dg1

    if "DG1" not in raw:
        return None, None
    try:
        mrz = parse_dg1(raw["DG1"])
    except ParseError:
        reasons.append("DG1_UNPARSEABLE")
        return None, None
    if mrz.failed_checks:
        reasons.append("DG1_CHECK_DIGIT_MISMATCH")
    section = {
        "lines": list(mrz.lines),
        "document_number": mrz.document_number,
        "date_of_birth": mrz.date_of_birth,
        "date_of_expiry": mrz.date_of_expiry,
        "sex": mrz.sex,
        "name": mrz.name,
        "failed_checks": [str(c) for c in mrz.failed_checks],
    }
    return section, mrz.personal_id


def _personal_section(raw: dict[str, bytes], reasons: list[str]) -> dict[str, Any] | None:
    from reader.lds.dg13 import parse_dg13

    if "DG13" not in raw:
        return None
    try:
        personal: dict[str, Any] = parse_dg13(raw["DG13"]).to_dict()
    except ParseError:
        reasons.append("DG13_UNPARSEABLE")
        return None
    return personal


_FORMAT_NAMES = {"JPEG": "jpeg", "JPEG2000": "jpeg2000", "JPEG2000_CODESTREAM": "jpeg2000"}


def _photo_section(raw: dict[str, bytes], reasons: list[str]) -> dict[str, Any] | None:
    from reader.lds.dg2 import parse_dg2

    if "DG2" not in raw:
        return None
    try:
        images = parse_dg2(raw["DG2"]).images
    except ParseError:
        reasons.append("DG2_UNPARSEABLE")
        return None
    if not images:
        reasons.append("DG2_NO_IMAGE")
        return None
    img = images[0]
    return {
        "format": _FORMAT_NAMES.get(img.image_format.name, "unknown"),
        "mime_type": img.image_format.mime_type,
        "width": img.width,
        "height": img.height,
        "bytes": len(img.image),
        "container": img.record_format,
    }


def extract_photo(raw: dict[str, bytes]) -> bytes | None:
    """The first face image of DG2, or ``None``."""
    from reader.lds.dg2 import parse_dg2

    if "DG2" not in raw:
        return None
    try:
        images = parse_dg2(raw["DG2"]).images
    except ParseError:
        return None
    return images[0].image if images else None


def build_report(result: ChipReadResult, notes: list[str]) -> dict[str, Any]:
    """One JSON-ready object: verdict, reasons, access (``downgraded``), checks (``passive_auth``,
    ``chip_auth``, ``active_auth``, ``pace_cam``, ``anticlone.method``), document, stats."""
    report = result_summary(result)
    data_reasons: list[str] = []
    mrz, mrz_id = _mrz_section(result.raw, data_reasons)
    personal = _personal_section(result.raw, data_reasons)
    id_number = (personal or {}).get("id_number") or mrz_id
    if personal and mrz_id and personal.get("id_number") and personal["id_number"] != mrz_id:
        data_reasons.append("ID_MISMATCH_DG1_DG13")
    pa = result.passive_auth
    report["checks"] = {
        "passive_auth": pa.to_dict() if pa is not None else {"result": "not_performed"},
        **proof_summary(result.proofs),
    }
    report["document"] = {
        "id_number": id_number,
        "mrz": mrz,
        "personal": personal,
        "photo": _photo_section(result.raw, data_reasons),
    }
    if result.access.downgraded:
        data_reasons.append("ACCESS_DOWNGRADED")  # PACE offered, BAC used (kiosk.profiles.ChipPolicy)
    report["data_reasons"] = data_reasons
    report["notes"] = list(notes) + list(result.notes)
    return report
