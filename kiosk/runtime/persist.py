"""Persistence of one transaction: the verification record built from the chip report and the face
decision (kiosk.record), stored with its outbox rows in one transaction (kiosk.storage).

Biometric images are kept for delivery only where the profile says ``deliver_then_delete`` (bank) and the
person did not stop the transaction: "stop" — on the bank's confirmation or anywhere else — means the
face images are not sent (integrations.md, duty 4: nothing beyond what the person agreed to).
"""

from __future__ import annotations

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
    VerificationInput,
    VerificationRecord,
    build_record,
)
from kiosk.storage import KioskStore
from kiosk.subject import subject_from_chip
from reader.auth.passive import DGHashResult
from reader.chipreport import ChipReport
from reader.lds.mrz import mask_id
from reader.report import AntiCloneMethod, ProofCheck, ProofResult, anticlone_method


def chip_evidence(report: ChipReport, verdict: str, reasons: tuple[str, ...]) -> ChipEvidence:
    """Per-check chip evidence (integrations.md "document") from the chip report."""
    pa, access, pid = report.passive_auth, report.access, report.document.id_number
    ds = pa.ds_certificate if pa is not None else None
    anchor = pa.trust_anchor if pa is not None else None
    hashes = pa.dg_hashes if pa is not None else ()
    return ChipEvidence(
        document_number_masked=mask_id(pid) if pid else "",
        access_method=access.method or "BAC", verdict=verdict, verdict_reasons=reasons,
        access_protocol=access.protocol, downgraded=access.downgraded,
        data_groups_read=report.data_groups_read, sod_sha256=pa.sod_sha256 if pa is not None else None,
        document_signer=DocumentSigner(ds.subject, f"{ds.serial_number:X}", ds.not_after.isoformat())
        if ds else None,
        passive_auth=pa.result.value if pa is not None else "not_performed",
        trust_anchor=anchor.subject if anchor else None,
        hashes_valid=all(c.result is DGHashResult.MATCH for c in hashes) if hashes else None,
        **_anticlone(report.proofs),
    )  # fmt: skip


_PROOF_ORDER = (AntiCloneMethod.CA, AntiCloneMethod.PACE_CAM, AntiCloneMethod.AA)


def _anticlone(proofs: tuple[ProofCheck, ...]) -> dict[str, Any]:
    """The proof the chip verdict relies on (:func:`reader.report.anticlone_method`) with its result and
    whether its key is covered by the SOD; a failed proof is recorded even when the verdict relies on none."""
    by_method = {p.method: p for p in proofs}
    method = anticlone_method(proofs)
    if method is AntiCloneMethod.NONE:
        failed = [m for m in _PROOF_ORDER if m in by_method and by_method[m].result is ProofResult.FAILED]
        if not failed:
            return {}
        method = failed[0]
    check = by_method.get(method)
    return {"chip_auth_method": method.value,
            "chip_auth_result": check.result.value if check else ProofResult.NOT_PERFORMED.value,
            "chip_auth_bound_to_pa": bool(check and check.key_covered_by_sod)}  # fmt: skip


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
        biometric=_biometric(req, images is not None, images), subject=subject_from_chip(req.chip.report),
        flow_reasons=req.flow_reasons, service=service,
    )  # fmt: skip
    record = build_record(inp)
    store.save_verification(record, profile, now, images=images, id_number=req.chip.display.id_number)
    return record
