"""The adapter from :class:`kiosk.runtime.face.FaceStep` to the biometrics package's
:class:`biometrics.verifier.FaceVerifier` (docs/face-verification.md): guided capture, active liveness and
a 1:1 comparison with the chip photo, one attempt per call (the flow counts attempts and retries).

The verifier compares while it captures, so :meth:`EngineFaceStep.capture` already carries the decision and
:meth:`EngineFaceStep.match` returns it.  The verifier keeps no live image (it wipes frames once it has
decided).  Only when ``keep_live_image`` is set — the composition root sets it for profiles whose evidence
policy is ``deliver_then_delete`` (bank) — the adapter keeps a copy of the latest frame (the closing,
frontal one), in memory, and returns it JPEG-encoded with a live capture; the copy is zeroed at once.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from typing import Any

from biometrics.camera import OpenCVCamera
from biometrics.capture import FaceConfig
from biometrics.decision import Outcome
from biometrics.errors import BiometricsError, CameraError, NoFaceError
from biometrics.imaging import encode_jpeg
from biometrics.sim.camera import SimulatedCamera
from biometrics.verifier import FaceVerifier
from kiosk.flow.outcomes import FaceCapture, FaceDecision
from kiosk.runtime.face import FaceStepError, GuidanceSink

log = logging.getLogger(__name__)

CameraFactory = Callable[[int], Any]  # attempt → a biometrics.camera.CameraSource


class _KeepLastFrame:
    """A camera wrapper holding a copy of the latest frame (the verifier zeroes its own frames)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.last: Any = None

    def read(self) -> Any:
        frame = self.inner.read()
        if frame is not None:
            self.last = frame.image.copy()
        return frame

    def follow(self, guidance: Any) -> None:
        follow = getattr(self.inner, "follow", None)
        if follow is not None:
            follow(guidance)

    def close(self) -> None:
        self.inner.close()

    def discard(self) -> None:
        if self.last is not None:
            self.last.fill(0)
            self.last = None

    def take_jpeg(self) -> bytes:
        """The latest frame as JPEG, then the copy is zeroed."""

        if self.last is None:
            return b""
        try:
            return bytes(encode_jpeg(self.last))
        finally:
            self.discard()


class EngineFaceStep:
    """One :class:`FaceVerifier` (built once: loading the models takes about a second) and a camera."""

    def __init__(self, camera: CameraFactory, verifier: Any | None = None, target_fmr: float | None = None,
                 keep_live_image: bool = False) -> None:  # fmt: skip

        self.verifier = verifier or FaceVerifier(FaceConfig(max_attempts=1))
        if self.verifier.config.max_attempts != 1:
            v = self.verifier
            config = dataclasses.replace(v.config, max_attempts=1)
            self.verifier = FaceVerifier(config, engine=v.engine, landmarker=v.landmarker)
        self.camera = camera
        self.engine = str(self.verifier.engine.name)
        self.engine_version = str(self.verifier.engine.version)
        self.target_fmr = target_fmr
        self.keep_live_image = keep_live_image

    def capture(self, attempt: int, chip_photo: bytes, guidance: GuidanceSink,
                cancel: threading.Event) -> FaceCapture:  # fmt: skip

        last: list[str] = []

        def on_guidance(g: Any) -> None:
            hint = g.primary.value.lower() if g.primary is not None else None
            if hint and (not last or last[-1] != hint):
                last.append(hint)
                guidance(hint)

        try:
            camera = _KeepLastFrame(self.camera(attempt)) if self.keep_live_image else self.camera(attempt)
        except CameraError:
            raise FaceStepError("camera_unavailable") from None
        except Exception as exc:
            # A camera that cannot start (e.g. the simulated person's NoFaceError) is an outcome: the flow
            # gets FaceFailed now and moves on, instead of waiting for its deadline.
            log.warning("the camera could not start: %s", type(exc).__name__)
            raise FaceStepError("camera_unavailable") from None
        live_jpeg = b""
        try:
            d = self.verifier.verify(chip_photo, camera, on_guidance=on_guidance)
            if isinstance(camera, _KeepLastFrame) and d.outcome in (Outcome.MATCH, Outcome.NO_MATCH):
                live_jpeg = camera.take_jpeg()
        except NoFaceError:
            raise FaceStepError("no_chip_face") from None
        except CameraError:
            raise FaceStepError("camera_unavailable") from None
        except BiometricsError:
            raise FaceStepError("engine_error") from None
        finally:
            if isinstance(camera, _KeepLastFrame):
                camera.discard()
            camera.close()
        if d.outcome is Outcome.NO_USABLE_CAPTURE:
            raise FaceStepError("no_face")
        live = d.outcome is not Outcome.NOT_LIVE
        failure = (
            None if live else ",".join(str(r).lower() for r in (d.liveness.reasons if d.liveness else ()))
        )
        decision = None
        if live:
            verdict = "match" if d.outcome is Outcome.MATCH else "no_match"
            decision = FaceDecision(verdict, float(d.score or 0.0), float(d.threshold), self.engine,
                                    self.engine_version, self.target_fmr)  # fmt: skip
        return FaceCapture(live, "active-challenge", live_jpeg, failure or None, decision)

    def match(self, capture: FaceCapture, chip_photo: bytes) -> FaceDecision:
        if capture.decision is None:
            raise FaceStepError("engine_error")
        return capture.decision


def simulated_camera(face_jpeg: bytes, presentation: str) -> CameraFactory:
    """The biometrics package's simulated person (a 3-D head, a flat print, a still) as a camera factory."""

    modes = {"live": SimulatedCamera.live, "wrong-person": SimulatedCamera.live,
             "flat-photo": SimulatedCamera.flat_photo, "static": SimulatedCamera.static}  # fmt: skip
    make = modes[presentation]
    return lambda attempt: make(face_jpeg, seed=attempt)


def webcam(device: int = 0) -> CameraFactory:

    return lambda attempt: OpenCVCamera(device)
