"""The verified record of a made-up person that the delivery, receiver and hub benchmarks send
(kiosk.record.build_record; the evidence is synthetic: no chip is read, no face is compared)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from kiosk.profiles import Profile
from kiosk.record import (
    BiometricEvidence,
    ChipEvidence,
    ConsentRecord,
    KioskIdentity,
    VerificationInput,
    VerificationRecord,
    build_record,
)
from kiosk.subject import SubjectClaims

CHIP = ChipEvidence(document_number_masked="303***234", access_method="PACE", verdict="authentic",
                    passive_auth="passed", chip_auth_method="CA", chip_auth_result="passed")  # fmt: skip
SUBJECT = SubjectClaims(id_number="079303001234", full_name="Nguyễn Thị Mai Anh",
                        birth_date=date(2003, 6, 15), sex="F", nationality="Việt Nam")  # fmt: skip


def bench_record(
    profile: Profile,
    kiosk: KioskIdentity | None = None,
    *,
    subject: SubjectClaims | None = SUBJECT,
    score: float | None = None,
) -> VerificationRecord:
    """A verified record of ``profile`` by ``kiosk`` (default: ``bench-kiosk`` at ``bench-site``), every
    purpose consented, made now."""
    kiosk = kiosk or KioskIdentity("bench-kiosk", "bench-site", "0.1.0", "sim", "sim")
    face = BiometricEvidence(engine="sim", engine_version="1", decision="match", score=score,
                             liveness_result="passed")  # fmt: skip
    now = datetime.now(UTC)
    consent = ConsentRecord.create(profile, "vi", {p.id: True for p in profile.purposes}, "touch",
                                   kiosk.device_id, now)  # fmt: skip
    return build_record(VerificationInput(profile, kiosk, consent, now, now, CHIP, face, subject))
