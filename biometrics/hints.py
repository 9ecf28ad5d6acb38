"""Guidance for the person in front of the camera: typed hints delivered per analysed frame."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Hint(StrEnum):
    """What the user should do now.  A UI maps each to a short localised instruction."""

    NO_FACE = "NO_FACE"  # no face found: look at the camera
    ONE_PERSON_ONLY = "ONE_PERSON_ONLY"
    MOVE_CLOSER = "MOVE_CLOSER"
    MOVE_BACK = "MOVE_BACK"
    CENTER_FACE = "CENTER_FACE"
    LOOK_STRAIGHT = "LOOK_STRAIGHT"
    TOO_DARK = "TOO_DARK"
    TOO_BRIGHT = "TOO_BRIGHT"
    UNEVEN_LIGHT = "UNEVEN_LIGHT"
    HOLD_STILL = "HOLD_STILL"
    OPEN_EYES = "OPEN_EYES"
    TURN_LEFT = "TURN_LEFT"  # the user's own left
    TURN_RIGHT = "TURN_RIGHT"  # the user's own right
    BLINK = "BLINK"
    DONE = "DONE"


class Phase(StrEnum):
    """The stage of a capture a :class:`Guidance` belongs to."""

    POSITIONING = "POSITIONING"  # quality gates until enough good frontal frames
    CHALLENGE = "CHALLENGE"  # one liveness step after another
    FINISHED = "FINISHED"


@dataclass(frozen=True, slots=True)
class Guidance:
    """Hints for one analysed frame, most important first (empty: all is well, keep going)."""

    frame_index: int
    phase: Phase
    hints: tuple[Hint, ...]
    step: int = 0  # 1-based index of the challenge step being asked for, 0 outside the challenge
    steps: int = 0

    @property
    def primary(self) -> Hint | None:
        return self.hints[0] if self.hints else None


GuidanceCallback = Callable[[Guidance], None]
