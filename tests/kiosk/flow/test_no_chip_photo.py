"""``NO_CHIP_PHOTO`` in the pure flow (docs/card-2024.md): a chip without a face image — no DG2 (the card
of a child under 6) or a DG2 without an image — goes to the counter with its own reason in every profile;
a photo that is there but cannot be decoded stays the face step's failure (``FACE_UNAVAILABLE``)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kiosk.flow import effects as fx
from kiosk.flow.model import Reason, State
from kiosk.flow.outcomes import ChipOutcome, DisplayFields
from reader.chipreport import ChipReport
from reader.report import FileResult, FileStatus, Verdict
from tests.kiosk.flow.helpers import ID_NUMBER, NAME, read_ok, walk_to


def _chip(files: dict[str, FileStatus], data_reasons: tuple[str, ...] = (), verdict: str = "inconclusive",
          reasons: tuple[str, ...] = ("IDENTITY_DATA_MISSING",)) -> ChipOutcome:  # fmt: skip
    report = replace(ChipReport.document_only(ID_NUMBER, None, Verdict(verdict)), data_reasons=data_reasons,
                     files={n: FileResult(n, st) for n, st in files.items()})  # fmt: skip
    return ChipOutcome(verdict, reasons, report, None, DisplayFields(NAME, ID_NUMBER, "15/06/2003"))


READ = FileStatus.READ
NO_DG2 = _chip({"DG1": READ, "DG13": READ})
DG2_ABSENT = _chip({"DG1": READ, "DG2": FileStatus.ABSENT})
DG2_EMPTY = _chip({"DG1": READ, "DG2": READ}, ("DG2_NO_IMAGE",), "authentic", ())
DG2_BROKEN = _chip({"DG1": READ, "DG2": READ}, (), "authentic", ())  # an image the decoder could not use


@pytest.mark.parametrize("profile", ["hospital", "bank", "lodging", "public_service"])
@pytest.mark.parametrize("chip", [NO_DG2, DG2_ABSENT, DG2_EMPTY], ids=["no_dg2", "dg2_absent", "dg2_empty"])
def test_no_face_image_goes_to_the_counter_with_its_own_reason(profile: str, chip: ChipOutcome) -> None:
    assert chip.without_face_image
    w = walk_to(State.READING, profile)(read_ok(chip))
    assert w.at() is State.FALLBACK and w.s.fallback is Reason.NO_CHIP_PHOTO
    assert w.s.detail == chip.reasons
    assert not any(isinstance(e, fx.StartFaceCapture) for e in w.effects)
    (persist,) = [e for e in w.effects if isinstance(e, fx.PersistAndDeliver)]
    assert persist.flow_reasons == ("NO_CHIP_PHOTO",)


def test_a_photo_that_cannot_be_decoded_is_still_the_face_steps_failure() -> None:
    assert not DG2_BROKEN.without_face_image
    w = walk_to(State.READING, "hospital")(read_ok(DG2_BROKEN))
    assert w.s.fallback is Reason.FACE_UNAVAILABLE and w.s.detail == ("CHIP_PHOTO_UNDECODABLE",)


def test_a_not_authentic_chip_stays_not_authentic_without_a_photo() -> None:
    fake = _chip({"DG1": READ}, (), "not_authentic", ("DG1_HASH_MISMATCH",))
    w = walk_to(State.READING, "hospital")(read_ok(fake))
    assert w.s.fallback is Reason.CHIP_NOT_AUTHENTIC  # the stronger finding first
