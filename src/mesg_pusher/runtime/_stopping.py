"""How a stop spends its one budget, the grace period, counted from the stop signal.

Docker kills a container 10 s after its stop signal, so the steps of a stop are carved out of
one deadline rather than run one after another:

1. read the task stream on until it falls quiet, so executions the engine has already sent are
   taken rather than lost with the stream (at most DRAIN_MAX, and never past step 3);
2. let running and waiting executions finish and submit their results;
3. at ``stop_at`` (FINAL_WINDOW before the end, and a block more on the engines whose results
   wait for one, v0.17 on), stop the executions still running or waiting and answer each with
   the ``error`` output;
4. at ``exit_at`` (the grace period), give up on answers not submitted yet (logged as unsent)
   and exit.

Pure arithmetic; the service applies it with its clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

#: On stop, the stream is read on until it has been quiet this long (at most DRAIN_MAX).
DRAIN_QUIET: Final = 0.1
DRAIN_MAX: Final = 2.0
#: The end of the grace period kept for answering the executions stopped short.
FINAL_WINDOW: Final = 1.5


@dataclass(frozen=True, slots=True)
class StopPlan:
    """The moments of a stop, in seconds after the signal."""

    drain_until: float  # reading the task stream ends (sooner once it is quiet)
    stop_at: float  # executions still running or waiting are stopped and answered
    exit_at: float  # answers still unsent are given up; the service returns


def stop_plan(grace_period: float, block_seconds: float | None = None) -> StopPlan:
    """The plan of a stop that must be over `grace_period` seconds after the signal, on an
    engine whose results wait `block_seconds` for their block (None: none). A short grace
    period keeps half of itself for the answers."""
    if grace_period < 0:
        raise ValueError("the grace period is 0 or more seconds")
    final = min(FINAL_WINDOW + (block_seconds or 0.0), grace_period / 2)
    stop_at = grace_period - final
    return StopPlan(drain_until=min(DRAIN_MAX, stop_at), stop_at=stop_at, exit_at=grace_period)
