"""Both engines on real photos: same person matches, different people do not, JPEG 2000 chip photos."""

from __future__ import annotations

import itertools

import pytest

from biometrics.imaging import as_bgr, decode_image, encode_jpeg2000
from biometrics.verifier import portrait_template

SAME = [
    ("obama/obama.jpg", "obama/obama2.jpg"),
    ("obama/obama1.jpg", "obama/obama3.jpg"),
    ("kit_harington/john1.jpg", "kit_harington/john2.jpg"),
    ("rose_leslie/img1.jpg", "rose_leslie/img2.jpg"),
]
PEOPLE = [
    "obama/obama.jpg",
    "biden/biden2.jpg",
    "alex_lacamoire/img1.jpg",
    "rose_leslie/img2.jpg",
    "lin_manuel_miranda/lin-manuel-miranda.jpg",
    "kit_harington/john2.jpg",
]


def _score(engine, photo, a: str, b: str) -> float:  # type: ignore[no-untyped-def]
    ta, _ = portrait_template(engine, decode_image(photo(a)))
    tb, _ = portrait_template(engine, decode_image(photo(b)))
    return float(engine.compare(ta, tb))


@pytest.mark.parametrize(("a", "b"), SAME)
def test_same_person_matches(engine, photo, a: str, b: str) -> None:  # type: ignore[no-untyped-def]
    assert _score(engine, photo, a, b) >= engine.threshold


def test_different_people_do_not_match(engine, photo) -> None:  # type: ignore[no-untyped-def]
    for a, b in itertools.combinations(PEOPLE, 2):
        assert _score(engine, photo, a, b) < engine.threshold, (a, b)


def test_jpeg2000_chip_photo_matches(engine, photo) -> None:  # type: ignore[no-untyped-def]
    """A chip-like photo: 240×320 crop-free portrait compressed to a few kB of JPEG 2000."""
    import cv2

    img = decode_image(photo("obama/obama.jpg"))
    small = as_bgr(cv2.resize(img, (256, 320), interpolation=cv2.INTER_AREA))
    jp2 = encode_jpeg2000(small, 40)
    assert len(jp2) < 12_000
    chip, _ = portrait_template(engine, decode_image(jp2))
    live, _ = portrait_template(engine, decode_image(photo("obama/obama2.jpg")))
    other, _ = portrait_template(engine, decode_image(photo("biden/biden2.jpg")))
    assert engine.compare(chip, live) >= engine.threshold
    assert engine.compare(chip, other) < engine.threshold


def test_template_repr_hides_the_vector(engine, photo) -> None:  # type: ignore[no-untyped-def]
    t, _ = portrait_template(engine, decode_image(photo("obama/obama.jpg")))
    first = f"{float(t.vector[0]):.4f}"
    assert first not in repr(t) and "hidden" in repr(t)
    t.wipe()
    assert not t.vector.any()


def test_engine_version_and_threshold(engine) -> None:  # type: ignore[no-untyped-def]
    assert engine.version and 0.0 < engine.threshold < 1.0
    if engine.name == "dlib":
        assert engine.threshold != pytest.approx(0.4)  # never face_recognition's 0.6 distance


def test_unknown_engine() -> None:
    from biometrics.engines import create_engine
    from biometrics.errors import EngineUnavailableError

    with pytest.raises(EngineUnavailableError, match="unknown"):
        create_engine("nope")
