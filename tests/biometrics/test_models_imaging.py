"""Weight integrity (SHA-256 at load) and decoding of chip photos (JPEG, JPEG 2000)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import cv2
import numpy as np
import PIL.Image
import pytest

from biometrics.engines.sface import SFaceEngine
from biometrics.errors import ImageDecodeError, ModelIntegrityError, ModelNotFoundError
from biometrics.imaging import decode_image, encode_jpeg, encode_jpeg2000, image_format
from biometrics.models import SFACE, YUNET, ModelFile, locate, verified_path


def test_installed_weights_verify() -> None:
    assert verified_path(YUNET).stat().st_size == YUNET.size
    assert verified_path(SFACE).name.endswith(".onnx")


def test_tampered_weights_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "yunet.onnx"
    shutil.copy(locate(YUNET), bad)
    with bad.open("r+b") as fh:
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 0x01]))
    with pytest.raises(ModelIntegrityError, match="SHA-256"):
        verified_path(YUNET, bad)
    with pytest.raises(ModelIntegrityError):
        SFaceEngine(detector_path=bad)


def test_missing_weights(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError):
        verified_path(YUNET, tmp_path / "absent.onnx")
    with pytest.raises(ModelNotFoundError, match="not installed"):
        locate(ModelFile("x", "no-such-distribution-xyz", "a/b", "0" * 64, 1))


def test_decode_jpeg_and_jpeg2000(photo) -> None:  # type: ignore[no-untyped-def]
    jpeg = photo("obama/obama.jpg")
    img = decode_image(jpeg)
    assert img.dtype == np.uint8 and img.ndim == 3
    jp2 = encode_jpeg2000(img, 50)
    assert image_format(jp2) == "JPEG 2000 (JP2)"
    back = decode_image(jp2)
    assert back.shape == img.shape
    buf = io.BytesIO()  # a raw codestream (no JP2 boxes), as some chips store it
    PIL.Image.fromarray(cv2.cvtColor(img, cv2.COLOR_BGR2RGB)).save(buf, "JPEG2000", no_jp2=True)
    j2k = buf.getvalue()
    assert image_format(j2k) == "JPEG 2000 (codestream)"
    assert decode_image(j2k).shape == img.shape
    assert image_format(encode_jpeg(img)) == "JPEG"


@pytest.mark.parametrize("data", [b"", b"GIF89a....", b"\xff\xd8\xff" + b"\x00" * 20])
def test_bad_image_data(data: bytes) -> None:
    with pytest.raises(ImageDecodeError):
        decode_image(data)


def test_truncated_jpeg2000(photo) -> None:  # type: ignore[no-untyped-def]
    jp2 = encode_jpeg2000(decode_image(photo("obama/obama.jpg")))
    with pytest.raises(ImageDecodeError):
        decode_image(jp2[:60])
