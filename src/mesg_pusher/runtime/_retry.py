"""The one retry loop for every call to the engine: listening (reconnection), results and
events alike, whatever the engine's generation.

`retry` makes the call until it succeeds or the caller's `judge`, told of each failure, says it
is done; between tries it waits the next delay of a capped, jittered exponential backoff
(``_backoff.py``), or tries again at once when the judge says something changed. With `until`,
it stops trying at that moment (on the given clock) and gives up with `expired`.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

from .._backoff import Backoff
from ._engine_api import CallFailed

T = TypeVar("T")


class Again(Enum):
    """After a failure: try again at once (the call changed), or after the next delay."""

    NOW = "now"
    LATER = "later"


@dataclass(frozen=True, slots=True)
class Done(Generic[T]):
    """After a failure: stop trying; `value` is what the loop returns."""

    value: T


def _no_wait(failure: CallFailed, delay: float) -> None:
    return None


async def retry(
    call: Callable[[], Awaitable[T]],
    judge: Callable[[CallFailed], Again | Done[T]],
    backoff: Callable[[], Backoff],
    *,
    waiting: Callable[[CallFailed, float], None] = _no_wait,
    clock: Callable[[], float] | None = None,
    until: float = math.inf,
    expired: Callable[[], T] | None = None,
) -> T:
    """What `call` returns once it succeeds, or the value of the `Done` `judge` gives after a
    failure. `backoff` gives the schedule (asked after the first failure only, the usual call
    succeeding at once); `waiting` is told of each wait before it starts. With `until`, no try
    starts after that moment on `clock` and no wait lasts past it: the loop then returns
    `expired()`."""
    schedule: Backoff | None = None
    while True:
        if clock is not None and clock() >= until:
            assert expired is not None
            return expired()
        try:
            return await call()
        except CallFailed as failure:
            step = judge(failure)
            if isinstance(step, Done):
                return step.value
            if step is Again.NOW:
                continue
            if schedule is None:
                schedule = backoff()
            delay = schedule.next_delay()
            waiting(failure, delay)
            if clock is not None:
                delay = min(delay, max(0.0, until - clock()))
            await asyncio.sleep(delay)
