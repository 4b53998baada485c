"""The one loop for every call to Pusher: an execution's calls sent in their order (several when
it was split), each tried again after a failure the service retries, within the execution's one
timeout. `_retries` decides each wait and each try's timeout; this is the edge that keeps time,
sleeps and sends.

`Progress` records what the loop did (calls answered, items published, tries, the last request),
for the runner's one boundary to say when the execution fails part way.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from .._errors import PusherError, PusherTimeoutError
from .._secrets import scrub
from .._text import cut
from ..pusher import Connection, HttpRequest, Transport
from ._failures import Retry, classify
from ._retries import RetryPlan, retry_delay, try_timeout_ms
from ._task import Call, Split

log = logging.getLogger("mesg_pusher.tasks")
#: Pusher's answers that say the app's credentials are wrong (401) or may not do this (403):
#: an operator has something to fix, so their request's line is a warning.
REFUSED_CREDENTIALS: Final = frozenset({401, 403})
#: Characters of a request's path shown in its log line at most.
PATH_CHARS: Final = 300

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
    #: Whether a failed try may have been published (written, no answer, or a 5xx): tried
    #: again (with an idempotencyKey), its failure is no longer `safe` whatever the last says.
    maybe_published: bool = False


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
        *,
        task: str,
        secrets: Sequence[str] = (),
    ) -> list[dict[str, Any]]:
        """Each call's ``success`` data, in order; the failure that ended a call's tries is
        raised, `progress` telling what went out before it. Each request leaves a line for
        `task` (`request_line`), never showing `secrets`."""
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
                sent_at = self._timer()
                try:
                    within = _within(connection, plan, remaining_s * 1000, request)
                    try:
                        status, body = await self.transport.send(within, request)
                    except PusherError as failure:  # not sent, or no answer
                        request_line(task, request, self._timer() - sent_at, secrets, failure)
                        raise
                    request_line(task, request, self._timer() - sent_at, secrets, status)
                    results.append(call.success_data(read(status, body)))
                    break
                except PusherError as error:
                    judged = classify(error, publishes=plan.publishes)
                    if judged.retry is Retry.UNSAFE:
                        progress.maybe_published = True
                    delay = retry_delay(
                        judged,
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


def request_line(
    task: str,
    request: HttpRequest,
    seconds: float,
    secrets: Sequence[str],
    answer: int | Exception,
) -> None:
    """The line of one request sent to Pusher, `answer` its status or the failure that left it
    unanswered: a warning when Pusher refused the credentials (401, 403), else a debug line.
    Its path is shown, never its query (the signature is there)."""
    status = answer if isinstance(answer, int) else None
    level = logging.WARNING if status in REFUSED_CREDENTIALS else logging.DEBUG
    if not log.isEnabledFor(level):
        return
    path = scrub(request.path, secrets) if secrets else request.path
    fields: dict[str, Any] = {"task": task, "method": request.method, "path": cut(path, PATH_CHARS)}
    if status is not None:
        fields["status"] = status
    else:
        fields["failure"] = type(answer).__name__
    fields["duration_ms"] = round(seconds * 1000, 1)
    message = "Pusher refused the request" if level == logging.WARNING else "Pusher request"
    log.log(level, message, extra={"fields": fields})


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
