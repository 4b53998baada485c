"""The service's task stream with the engine, kept open: one task listens through the engine's
adapter (`EngineApi`, ``_engine_api.py``) and never waits on anything else, handing every
message to `accept` as it comes (the engine hands executions over under a global lock).

When the stream breaks, the link reconnects with capped, jittered exponential backoff through
the one retry loop (``_retry.py``), logging each attempt; the schedule starts over after a
connection that worked. The same for every generation of the engine's protocol: only the
adapter knows the calls.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from .._backoff import Backoff
from .._errors import MesgPusherError
from ._config import ServeConfig
from ._engine_api import CallFailed, EngineApi, TaskMessage
from ._retry import Again, Done, retry
from ._stopping import DRAIN_QUIET
from ._verdicts import listen_refusal

log = logging.getLogger("mesg_pusher.runtime")

Accept = Callable[[TaskMessage], None]
#: How the end of a stream the engine closed is reported.
_ENDED = "the engine ended the task stream"


class ServiceFailed(MesgPusherError):
    """The service cannot go on: the engine refused its identity, or speaks no protocol the
    service could use there."""


def _nothing() -> None:
    return None


class EngineLink:
    """Listens to the engine through `api` (at `config.endpoint`). `draw` gives the random
    numbers of the backoff jitter, `clock` monotonic seconds; `connected` is called each time
    a stream opens."""

    def __init__(
        self,
        api: EngineApi,
        config: ServeConfig,
        *,
        draw: Callable[[], float],
        clock: Callable[[], float],
        connected: Callable[[], None] = _nothing,
    ) -> None:
        self._api = api
        self._config = config
        self._backoff = config.backoff(draw)
        self._clock = clock
        self._connected = connected
        self.listening = asyncio.Event()
        self.closing = False
        self.delivered = 0
        self.last_delivery = 0.0
        # Of the current attempt: when it began, what had been delivered, whether it connected.
        self._began = 0.0
        self._delivered_before = 0
        self._opened = False

    async def listen_forever(self, accept: Accept) -> None:
        """Hand every task message to `accept`, reconnecting after every break, until cancelled
        or `closing`; ServiceFailed when the engine refuses the service."""

        def delivered(message: TaskMessage) -> None:
            self.delivered += 1
            self.last_delivery = self._clock()
            accept(message)

        async def listen_once() -> None:
            self._begin()
            try:
                await self._api.listen(delivered, self._stream_opened)
            finally:
                self.listening.clear()
            raise CallFailed(None, _ENDED)

        await retry(listen_once, self._after_break, self._schedule, waiting=self._waiting)

    def _schedule(self) -> Backoff:
        return self._backoff

    def _begin(self) -> None:
        log.info(
            "connecting to the engine",
            extra={
                "fields": {"endpoint": self._config.endpoint, "attempt": self._backoff.attempt + 1}
            },
        )
        self._began = self._clock()
        self._delivered_before = self.delivered
        self._opened = False

    def _stream_opened(self) -> None:
        self._opened = True
        self._connected()
        self.listening.set()
        log.info("listening for tasks", extra={"fields": {"endpoint": self._config.endpoint}})

    def _after_break(self, failure: CallFailed) -> Again | Done[None]:
        if failure.code is not None:
            refusal = listen_refusal(failure.code, failure.details, failure.generation)
            if refusal is not None:
                raise ServiceFailed(refusal) from None
        if self.closing:
            return Done(None)
        worked = self.delivered > self._delivered_before
        if worked or self._clock() - self._began >= self._config.reconnect_max_delay:
            self._backoff.reset()  # that connection worked: start the schedule over
        return Again.LATER

    def _waiting(self, failure: CallFailed, delay: float) -> None:
        log.warning(
            "lost the engine" if self._opened else "could not reach the engine",
            extra={
                "fields": {
                    "endpoint": self._config.endpoint,
                    "reason": failure.reason,
                    "retry_in_s": round(delay, 3),
                }
            },
        )

    async def read_on(self, listener: asyncio.Task[None], until: float) -> None:
        """At a stop: read on until the stream has been quiet for DRAIN_QUIET (or `until`),
        then stop `listener`. Cancelling the stream drops whatever the engine sent that is not
        read yet, and the engine counts those executions as delivered."""
        self.closing = True
        while not listener.done() and self.listening.is_set():
            left = until - self._clock()
            if left <= 0:
                break
            await asyncio.sleep(min(DRAIN_QUIET, left))
            await asyncio.sleep(0)  # lets a read that is already due land first
            if self._clock() - self.last_delivery >= DRAIN_QUIET:
                break
        listener.cancel()
