"""Camera sources: image folder, video file, webcam errors, the simulated camera's interface."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from biometrics.camera import CameraSource, ImageFolderSource, OpenCVCamera, VideoFileSource, frames
from biometrics.errors import CameraError
from biometrics.hints import Guidance, Hint, Phase
from biometrics.sim import SimMode, SimulatedCamera


def test_image_folder(tmp_path: Path) -> None:
    for k in range(3):
        cv2.imwrite(str(tmp_path / f"{k}.png"), np.full((48, 64, 3), 40 * k, np.uint8))
    (tmp_path / "notes.txt").write_text("ignored")
    src = ImageFolderSource(tmp_path, fps=10)
    got = list(frames(src))
    assert [f.index for f in got] == [0, 1, 2] and got[2].timestamp == pytest.approx(0.2)
    assert "pixels hidden" in repr(got[0])
    assert isinstance(src, CameraSource)


def test_video_file(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    out = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10.0, (64, 48))
    for k in range(5):
        out.write(np.full((48, 64, 3), 30 * k, np.uint8))
    out.release()
    with VideoFileSource(path) as src:
        got = list(frames(src))
    assert len(got) == 5 and got[-1].timestamp == pytest.approx(0.4)


def test_missing_sources(tmp_path: Path) -> None:
    with pytest.raises(CameraError):
        VideoFileSource(tmp_path / "none.avi")
    with pytest.raises(CameraError):
        ImageFolderSource(tmp_path / "none")
    with pytest.raises(CameraError):
        OpenCVCamera(device=97)


def test_simulated_camera_turns_on_request(photo, sface, landmarker) -> None:  # type: ignore[no-untyped-def]
    from biometrics.landmarks import yaw_index

    cam = SimulatedCamera(photo("obama/obama.jpg"), SimMode.LIVE, fps=15, max_seconds=2.0)
    assert isinstance(cam, CameraSource)
    first = cam.read()
    assert first is not None and first.image.shape == (480, 640, 3)
    cam.follow(Guidance(0, Phase.CHALLENGE, (Hint.TURN_LEFT,), 1, 1))
    yaws = []
    while (f := cam.read()) is not None:
        yaws.append(yaw_index(landmarker.landmarks(f.image, sface.detect(f.image)[0].box)))
    assert len(yaws) == 29  # 2 s at 15 fps, then the source ends
    assert max(yaws) > 0.1  # turned to the user's left: the nose moved to the image's right
    cam.close()
    assert cam.read() is None


def test_static_camera_never_moves(photo) -> None:  # type: ignore[no-untyped-def]
    cam = SimulatedCamera(photo("obama/obama.jpg"), SimMode.STATIC, noise=0, max_seconds=1.0)
    cam.follow(Guidance(0, Phase.CHALLENGE, (Hint.TURN_RIGHT,), 1, 1))
    imgs = [f.image for f in frames(cam)]
    assert all(np.array_equal(imgs[0], i) for i in imgs)
