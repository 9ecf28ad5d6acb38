"""Test data (a fake citizen, chip and face evidence) and an in-process receiver."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from kiosk.connectors.webhooks import decode_secret
from kiosk.profiles import Profile
from kiosk.record import (
    BiometricEvidence,
    BiometricImages,
    ChipEvidence,
    ConsentRecord,
    KioskIdentity,
    VerificationInput,
    VerificationRecord,
    build_record,
)
from kiosk.subject import SubjectClaims
from receiver import KeySource, ReceiverConfig, ReceiverServer, ReceiverStore

TEST_ID = "079303001234"
TEST_NAME = "Nguyễn Thị Mai Anh"
KIOSK = KioskIdentity("kiosk-test-01", "site-hn-01", "0.1.0", "ACS ACR1252U", "sim-camera")
SUBJECT = SubjectClaims(
    id_number=TEST_ID,
    old_id_number="012345678",
    full_name=TEST_NAME,
    birth_date=date(2003, 6, 15),
    sex="F",
    nationality="Việt Nam",
    ethnicity="Kinh",
    religion="Không",
    place_of_origin="Hà Nội",
    address="1 Phố Mẫu, Phường Mẫu, Hà Nội",
    issue_date=date(2021, 5, 10),
    expiry_date=date(2028, 6, 15),
)
CHIP_OK = ChipEvidence(
    document_number_masked="303***234",
    access_method="PACE",
    access_protocol="PACE-ECDH-GM-AES-128",
    verdict="authentic",
    data_groups_read=("DG1", "DG2", "DG13", "DG14", "DG15"),
    sod_sha256="ab" * 32,
    passive_auth="passed",
    trust_anchor="CSCA ePassport Vietnam",
    hashes_valid=True,
    chip_auth_method="CA",
    chip_auth_result="passed",
    chip_auth_bound_to_pa=True,
)
CHIP_CSCA_UNKNOWN = replace(
    CHIP_OK,
    verdict="inconclusive",
    verdict_reasons=("CSCA_UNKNOWN",),
    passive_auth="csca_unknown",
    trust_anchor=None,
)
CHIP_CLONE = replace(
    CHIP_OK, verdict="not_authentic", verdict_reasons=("CA_FAILED",), chip_auth_result="failed"
)
IMAGES = BiometricImages(b"\xff\xd8live-jpeg-bytes\xff\xd9", b"\xff\xd8chip-jpeg-bytes\xff\xd9")
FACE_OK = BiometricEvidence(
    engine="sim",
    engine_version="1",
    decision="match",
    score=0.82,
    threshold=0.5,
    target_fmr=1e-4,
    liveness_type="passive",
    liveness_result="passed",
    attempts=1,
    image_sha256=IMAGES.sha256(),
)
FACE_MISMATCH = replace(FACE_OK, decision="no_match", score=0.1)
T0 = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
T1 = datetime(2026, 3, 1, 8, 30, 40, tzinfo=UTC)


def make_input(
    profile: Profile,
    chip: ChipEvidence | None = CHIP_OK,
    face: BiometricEvidence | None = FACE_OK,
    **kw: object,
) -> VerificationInput:
    consent = ConsentRecord.create(
        profile, "vi", {p.id: True for p in profile.purposes}, "touch", KIOSK.device_id, T0
    )
    args: dict[str, object] = dict(
        profile=profile,
        kiosk=KIOSK,
        consent=consent,
        started_at=T0,
        completed_at=T1,
        chip=chip,
        biometric=face,
        subject=SUBJECT,
    )
    args.update(kw)
    return VerificationInput(**args)  # type: ignore[arg-type]


def make_record(profile: Profile, **kw: Any) -> VerificationRecord:
    return build_record(make_input(profile, **kw))


READ_TOKEN = "test-read-token-0123456789"


class RunningReceiver:
    """The reference receiver (receiver/) on uvicorn in a thread, on a free loopback port."""

    def __init__(self, db: Path, keys_dir: Path, secret: str, port: int = 0) -> None:
        self.store = ReceiverStore(db)
        config = ReceiverConfig(self.store, decode_secret(secret), KeySource(key_store=keys_dir), None,
                                READ_TOKEN)  # fmt: skip
        self.server = ReceiverServer("127.0.0.1", port, config)
        self.server.start()

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def port(self) -> int:
        return self.server.port

    def stop(self) -> None:
        self.server.shutdown()
        self.store.close()
