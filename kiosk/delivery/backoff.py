"""Exponential backoff with jitter ("equal jitter": half the step fixed, half random).

Delay after the n-th failed attempt: ``d = min(cap, base · factor^(n-1))``, wait ``d/2 + U(0, d/2)``.
The random half spreads retries of many kiosks after a shared outage; the fixed half keeps a floor.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    base_seconds: float = 2.0
    factor: float = 2.0
    max_seconds: float = 3600.0

    def __post_init__(self) -> None:
        if self.base_seconds <= 0 or self.factor < 1 or self.max_seconds < self.base_seconds:
            raise ValueError("backoff needs base > 0, factor ≥ 1, max ≥ base")

    def delay(self, attempts: int, rng: random.Random) -> float:
        """Seconds to wait after ``attempts`` failed attempts (≥ 1)."""
        step = min(self.max_seconds, self.base_seconds * self.factor ** max(0, min(attempts - 1, 64)))
        return step / 2 + rng.uniform(0, step / 2)
