"""The one loop for every call to Pusher: an execution's calls sent in their order (several when
it was split), each tried again after a failure the service retries, within the execution's one
timeout. `_retries` decides each wait and each try's timeout; this is the edge that keeps time,
sleeps and sends.

`Progress` records what the loop did (calls answered, items published, tries, the last request),
for the runner's one boundary to say when the execution fails part way.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from .._errors import PusherError, PusherTimeoutError
from ..pusher import Connection, HttpRequest, Transport
from ._failures import classify
from ._retries import RetryPlan, retry_delay, try_timeout_ms
from ._task import Call, Split

#: Connections with a try's share of the timeout, remembered: a share is the same for every
#: execution with the same settings, and building a `Connection` checks it again (5 us).
_SHARES_REMEMBERED: Final = 64
#: What reads a 2xx answer (status and body) into the call's parsed JSON, or raises.
Reader = Callable[[int, bytes], Mapping[str, Any]]


@dataclass(slots=True)
class Progress:
    """What sending an execution's calls has done so far."""

    #: Items (events, or channels) of the calls Pusher accepted.
    published: int = 0
    #: Tries of the call being sent (1 for a first try).
    tries: int = 0
    #: The request last sent, or about to be.
    request: HttpRequest | None = None
    #: The execution's calls, when it was split.
    split: Split | None = None


class Sender:
    """Sends calls through `transport`; `clock` gives Unix seconds for signatures, `timer`
    monotonic seconds for the timeout, `draw` the jitter's random numbers, and `sleep` waits."""

    def __init__(
        self,
        transport: Transport,
        *,
        clock: Callable[[], float],
        timer: Callable[[], float],
        draw: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.transport = transport
        self._clock = clock
        self._timer = timer
        self._draw = draw
        self._sleep = sleep

    async def send(
        self,
        calls: Sequence[Call],
        connection: Connection,
        plan: RetryPlan,
        read: Reader,
        progress: Progress,
    ) -> list[dict[str, Any]]:
        """Each call's ``success`` data, in order; the failure that ended a call's tries is
        raised, `progress` telling what went out before it."""
        started = self._timer()
        budget_s = connection.timeout_ms / 1000
        results: list[dict[str, Any]] = []
        for call in calls:
            retried = 0
            while True:
                progress.tries = retried + 1
                # The first try of all has the whole timeout: no clock read, no new connection.
                remaining_s = (
                    budget_s - (self._timer() - started) if results or retried else budget_s
                )
                request = call.sign(int(self._clock()))
                progress.request = request
                try:
                    within = _within(connection, plan, remaining_s * 1000, request)
                    status, body = await self.transport.send(within, request)
                    results.append(call.success_data(read(status, body)))
                    break
                except PusherError as error:
                    delay = retry_delay(
                        classify(error, publishes=plan.publishes),
                        plan,
                        retried=retried,
                        remaining=budget_s - (self._timer() - started),
                        draw=self._draw(),
                    )
                    if delay is None:
                        raise
                    retried += 1
                    await self._sleep(delay)
            progress.published += call.items
        return results


def _within(
    connection: Connection, plan: RetryPlan, remaining_ms: float, request: HttpRequest
) -> Connection:
    """`connection` with the next try's timeout; a timeout (sent nothing) when none is left."""
    timeout_ms = try_timeout_ms(plan, timeout_ms=connection.timeout_ms, remaining_ms=remaining_ms)
    if timeout_ms >= connection.timeout_ms:
        return connection
    if timeout_ms < 1:
        url = connection.base_url + request.path
        raise PusherTimeoutError(url, connection.timeout_ms, sent=False)
    return _with_timeout(connection, int(timeout_ms))


@functools.lru_cache(maxsize=_SHARES_REMEMBERED)
def _with_timeout(connection: Connection, timeout_ms: int) -> Connection:
    return replace(connection, timeout_ms=timeout_ms)
