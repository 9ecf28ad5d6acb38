"""Persistence of one transaction: the verification record built from the chip report and the face
decision (kiosk.record), stored with its outbox rows in one transaction (kiosk.storage).

Biometric images are kept for delivery only where the profile says ``deliver_then_delete`` (bank) and the
person did not stop the transaction: "stop" — on the bank's confirmation or anywhere else — means the
face images are not sent (integrations.md, duty 4: nothing beyond what the person agreed to).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from kiosk.flow.effects import PersistAndDeliver
from kiosk.profiles import EvidencePolicy, Profile
from kiosk.record import (
    BiometricEvidence,
    BiometricImages,
    ChipEvidence,
    ConsentRecord,
    DocumentSigner,
    KioskIdentity,
    SubjectClaims,
    VerificationInput,
    VerificationRecord,
    build_record,
)
from kiosk.storage import KioskStore
from reader.lds.dg13 import parse_vn_date
from reader.lds.mrz import mask_id

_SEX = {"nam": "M", "nữ": "F", "nu": "F"}


def chip_evidence(report: Mapping[str, Any], verdict: str, reasons: tuple[str, ...]) -> ChipEvidence:
    """Per-check chip evidence (integrations.md "document") from a :func:`kiosk.chipreport.build_report`."""
    doc = report.get("document") or {}
    pa = (report.get("checks") or {}).get("passive_auth") or {}
    access = report.get("access") or {}
    ds = pa.get("document_signer")
    dgs = pa.get("data_groups") or {}
    read = tuple(
        n for n, f in (report.get("files") or {}).items() if n.startswith("DG") and f.get("status") == "read"
    )
    return ChipEvidence(
        document_number_masked=mask_id(doc["id_number"]) if doc.get("id_number") else "",
        access_method=str(access.get("method") or "BAC"), verdict=verdict, verdict_reasons=reasons,
        access_protocol=access.get("protocol"), downgraded=bool(access.get("downgraded")),
        data_groups_read=read, sod_sha256=pa.get("sod_sha256"),
        document_signer=DocumentSigner(ds["subject"], ds["serial"], ds["not_after"]) if ds else None,
        passive_auth=str(pa.get("result", "not_performed")),
        trust_anchor=(pa.get("trust_anchor") or {}).get("subject"),
        hashes_valid=all(d.get("result") == "match" for d in dgs.values()) if dgs else None,
        **_anticlone(report.get("checks") or {}),
    )  # fmt: skip


_PROOF_CHECKS = {"CA": "chip_auth", "PACE-CAM": "pace_cam", "AA": "active_auth"}


def _anticlone(checks: Mapping[str, Any]) -> dict[str, Any]:
    """The proof the chip verdict relies on (``checks.anticlone.method``) with its result and whether its key
    is covered by the SOD; a failed proof is recorded even when the verdict relies on none."""
    method = str((checks.get("anticlone") or {}).get("method") or "none")
    if method not in _PROOF_CHECKS:
        failed = [m for m, key in _PROOF_CHECKS.items() if (checks.get(key) or {}).get("result") == "failed"]
        if not failed:
            return {}
        method = failed[0]
    check = checks.get(_PROOF_CHECKS[method]) or {}
    return {"chip_auth_method": method, "chip_auth_result": str(check.get("result") or "not_performed"),
            "chip_auth_bound_to_pa": check.get("key_covered_by_sod") is True}  # fmt: skip


def subject_claims(report: Mapping[str, Any]) -> SubjectClaims:
    """The holder's claims from DG13 (and DG1 for the ID number)."""
    doc = report.get("document") or {}
    p = doc.get("personal") or {}

    def day(name: str) -> date | None:
        return parse_vn_date(p.get(name))

    sex = _SEX.get(str(p.get("sex") or "").strip().lower())
    return SubjectClaims(
        id_number=doc.get("id_number"), old_id_number=p.get("old_id_number"), full_name=p.get("full_name"),
        birth_date=day("date_of_birth"), sex=sex, nationality=p.get("nationality"),
        ethnicity=p.get("ethnicity"), religion=p.get("religion"), place_of_origin=p.get("place_of_origin"),
        address=p.get("place_of_residence"), issue_date=day("date_of_issue"),
        expiry_date=day("date_of_expiry"),
    )  # fmt: skip


def _biometric(
    req: PersistAndDeliver, keep: bool, images: BiometricImages | None
) -> BiometricEvidence | None:
    if req.capture is None and req.face is None:
        return None
    liveness = (
        "not_performed" if req.capture is None else ("passed" if req.capture.liveness_passed else "failed")
    )
    f = req.face
    return BiometricEvidence(
        engine=f.engine if f else "none", engine_version=f.engine_version if f else "",
        decision=f.decision if f else "not_performed", score=f.score if f else None,
        threshold=f.threshold if f else None, target_fmr=f.target_fmr if f else None,
        liveness_type=req.capture.liveness_type if req.capture else None, liveness_result=liveness,
        attempts=req.face_attempts, images_retained=keep,
        image_sha256=images.sha256() if images is not None else (),
    )  # fmt: skip


def persist(req: PersistAndDeliver, *, profile: Profile, consent: ConsentRecord, kiosk: KioskIdentity,
            store: KioskStore, now: float) -> VerificationRecord:  # fmt: skip
    """Build the record and store it with its outbox rows (and, for the bank, the images) atomically."""
    images: BiometricImages | None = None
    stopped = "USER_CANCELLED" in req.flow_reasons
    if (profile.biometric_evidence is EvidencePolicy.DELIVER_THEN_DELETE and req.capture is not None
            and req.capture.live_jpeg and req.chip.photo is not None and req.face is not None
            and not stopped):  # fmt: skip
        images = BiometricImages(req.capture.live_jpeg, req.chip.photo)
    service = {k: v for k, v in profile.service.items()} | dict(req.service)
    inp = VerificationInput(
        profile=profile, kiosk=kiosk, consent=consent, started_at=req.started_at,
        completed_at=req.completed_at,
        chip=chip_evidence(req.chip.report, req.chip.verdict, req.chip.reasons),
        biometric=_biometric(req, images is not None, images), subject=subject_claims(req.chip.report),
        flow_reasons=req.flow_reasons, service=service,
    )  # fmt: skip
    record = build_record(inp)
    store.save_verification(record, profile, now, images=images, id_number=req.chip.display.id_number)
    return record
