"""The verification decision: what the kiosk records and shows.  It holds no image and no template."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum

from biometrics.hints import Hint
from biometrics.liveness import LivenessResult
from biometrics.quality import QualityMeasures


class Outcome(StrEnum):
    MATCH = "MATCH"  # live, and the same person as the chip photo
    NO_MATCH = "NO_MATCH"  # live, but the score is below the threshold
    NOT_LIVE = "NOT_LIVE"  # the liveness challenge failed (see its reasons)
    NO_USABLE_CAPTURE = "NO_USABLE_CAPTURE"  # never a good frontal face (see the last hints)


@dataclass(frozen=True, slots=True)
class QualitySummary:
    chip_inter_eye: float  # pixels between the eyes in the chip photo
    probe_frames: int  # live frames compared with the chip photo
    best: QualityMeasures | None  # measures of the best live frame
    last_hints: tuple[Hint, ...] = ()  # what the user was last told (useful when nothing was usable)


@dataclass(frozen=True, slots=True)
class FaceDecision:
    """Outcome, score against the engine's calibrated threshold, and the evidence behind it."""

    outcome: Outcome
    score: float | None
    threshold: float
    engine: str
    engine_version: str
    quality: QualitySummary
    liveness: LivenessResult | None
    attempts: int
    frames: int  # frames analysed over all attempts
    capture_seconds: float  # on the camera's clock (the user's time)
    compute_seconds: float  # analysis time on this machine

    @property
    def accepted(self) -> bool:
        return self.outcome is Outcome.MATCH

    def summary(self) -> str:
        score = "-" if self.score is None else f"{self.score:.3f}"
        reasons = ",".join(self.liveness.reasons) if self.liveness and self.liveness.reasons else "-"
        return (
            f"{self.outcome} score={score} threshold={self.threshold:.3f} engine={self.engine} "
            f"attempts={self.attempts} frames={self.frames} liveness_reasons={reasons}"
        )

    def to_dict(self) -> dict[str, object]:
        best = self.quality.best
        return {
            "outcome": self.outcome.value,
            "accepted": self.accepted,
            "score": None if self.score is None else round(self.score, 4),
            "threshold": self.threshold,
            "engine": self.engine,
            "engine_version": self.engine_version,
            "quality": {
                "chip_inter_eye": self.quality.chip_inter_eye,
                "probe_frames": self.quality.probe_frames,
                "best": None
                if best is None
                else {k: v if v is None else round(v, 3) for k, v in asdict(best).items()},
                "last_hints": [h.value for h in self.quality.last_hints],
            },
            "liveness": None if self.liveness is None else self.liveness.to_dict(),
            "attempts": self.attempts,
            "frames": self.frames,
            "capture_seconds": round(self.capture_seconds, 3),
            "compute_seconds": round(self.compute_seconds, 3),
        }
