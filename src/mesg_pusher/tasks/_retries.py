"""When a failed call to Pusher is tried again, and how long each try may take. Pure: the
random draw of the jitter and the time left are passed in.

A failure is tried again only if `_failures.retried_by_service` allows it (`safe`, or `unsafe`
with an ``idempotencyKey``), at most ``retries`` times, after a capped, jittered exponential
backoff (``_backoff.py``), and only while the wait and another try fit in what is left of the
execution's ``timeout``: every try and every wait of an execution come out of that one budget.

A try gets all the time left, except when a timeout after the write could itself be tried
again (a keyed execution, a call that publishes nothing): then each try gets at most an equal
share of the timeout, so a retry has time left. Without that, a publish keeps the whole timeout
for its one try, as it did before retries existed: a shorter try could only fail where a longer
one would have succeeded, since its timeout could not be tried again.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Final

from .._backoff import backoff_delay
from ._failures import Failure, retried_by_service
from ._inputs import DEFAULT_RETRIES

#: The first retry waits 0.1 to 0.2 s, each later one up to twice as long, at most 2 s.
BASE_SECONDS: Final = 0.2
CAP_SECONDS: Final = 2.0
#: Another try is not started with less than this left of the timeout.
MIN_TRY_SECONDS: Final = 0.05


@dataclass(frozen=True, slots=True)
class RetryPlan:
    """What decides an execution's retries: how many (`retries`), whether it carries an
    ``idempotencyKey`` (`keyed`), and whether its calls publish (`publishes`)."""

    retries: int = DEFAULT_RETRIES
    keyed: bool = False
    publishes: bool = True

    @property
    def timeouts_retried(self) -> bool:
        """Whether a timeout after the write may be tried again."""
        return self.retries > 0 and (self.keyed or not self.publishes)


@functools.lru_cache(maxsize=64)
def retry_plan(retries: int, *, keyed: bool, publishes: bool) -> RetryPlan:
    """The plan for these settings, made once: every execution of a task asks for one."""
    return RetryPlan(retries, keyed, publishes)


def retry_delay(
    failure: Failure, plan: RetryPlan, *, retried: int, remaining: float, draw: float
) -> float | None:
    """Seconds to wait before trying a failed call again, or None when it is not tried again:
    the service does not retry this failure, `retried` retries were made already, or the wait
    and a try would not fit in the `remaining` seconds of the timeout. `draw` is in [0, 1)."""
    if retried >= plan.retries or not retried_by_service(failure, keyed=plan.keyed):
        return None
    delay = backoff_delay(retried, base=BASE_SECONDS, cap=CAP_SECONDS, draw=draw)
    if delay + MIN_TRY_SECONDS > remaining:
        return None
    return delay


def try_timeout_ms(plan: RetryPlan, *, timeout_ms: float, remaining_ms: float) -> float:
    """Milliseconds the next try may take, of an execution whose timeout is `timeout_ms` and
    which has `remaining_ms` left (see the module's notes)."""
    if plan.timeouts_retried:
        return min(remaining_ms, timeout_ms / (plan.retries + 1))
    return remaining_ms
