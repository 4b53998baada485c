"""Retry delays: capped exponential backoff with jitter, as a pure function of the attempt number
and a random draw, plus a small counter that keeps the attempt number between retries.

"Equal jitter": the delay is at least half of the exponential ceiling, so a flapping engine is
never hammered, and at most the ceiling, so replicas that lost the engine together spread out.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Final

#: 2**exponent overflows floats long before it matters; the cap is reached far earlier anyway.
_MAX_EXPONENT: Final = 62


def backoff_delay(attempt: int, *, base: float, cap: float, draw: float) -> float:
    """Seconds to wait before retry `attempt` (0 for the first retry); `draw` is in [0, 1)."""
    if attempt < 0:
        raise ValueError("attempt is 0 or more")
    ceiling = min(cap, base * 2.0 ** min(attempt, _MAX_EXPONENT))
    return ceiling / 2 + ceiling / 2 * draw


class Backoff:
    """Counts consecutive failures and gives the delay before the next try."""

    def __init__(
        self, *, base: float, cap: float, draw: Callable[[], float] = random.random
    ) -> None:
        if not 0 < base <= cap:
            raise ValueError("0 < base <= cap")
        self.base = base
        self.cap = cap
        self.attempt = 0
        self._draw = draw

    def next_delay(self) -> float:
        """The delay before the next try; each call counts one more failure."""
        delay = backoff_delay(self.attempt, base=self.base, cap=self.cap, draw=self._draw())
        self.attempt += 1
        return delay

    def reset(self) -> None:
        """A success: the next failure starts again from `base`."""
        self.attempt = 0
