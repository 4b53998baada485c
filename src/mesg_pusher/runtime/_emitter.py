"""Emitting a webhook's events to the engine: one ``EmitEvent`` per event, one after another so
their order is kept, each until the engine takes it or it is clear it will not in time.

The discipline is that of results (``_submission.py``), on the same channel: the call waits for
the link's connection (the link reconnects the channel with its own backoff), a failure the
engine's words call a refusal (``_faults.emit_verdict``) stops at once, an unreachable engine is
tried again with backoff, anything else a few times. Unlike a result, an event has a deadline:
the webhook's sender is waiting, and a sender that gets no 2xx sends the body again, so emission
stops at `deadline` and reports how far it got (`Progress`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from grpc import aio

from .._backoff import Backoff
from ..mesg.protocol.service_pb2 import EmitEventRequest
from ..webhooks import Outcome, WebhookEvent
from ._config import ServeConfig
from ._engine_link import EngineLink
from ._faults import EmitVerdict, emit_verdict
from ._labels import CUT, DETAILS_CHARS
from ._metrics import Metrics

#: Tries of an event the engine fails on for reasons other than being unreachable.
FAILED_EMIT_TRIES: Final = 3


@dataclass(slots=True)
class Progress:
    """How far the emission of a webhook's events got: how many were accepted, and what
    stopped it (None while nothing did)."""

    accepted: int = 0
    failure: Outcome | None = None
    detail: str = ""


class Emitter:
    """Emits events through `link` for the service whose token `config` holds."""

    def __init__(
        self,
        link: EngineLink,
        config: ServeConfig,
        *,
        metrics: Metrics,
        draw: Callable[[], float],
        clock: Callable[[], float],
    ) -> None:
        self._link = link
        self._config = config
        self._metrics = metrics
        self._draw = draw
        self._clock = clock

    async def emit(
        self, events: Sequence[WebhookEvent], deadline: float, progress: Progress
    ) -> None:
        """Emit `events` in order until one is not accepted by `deadline` (on this clock);
        `progress` says how many were and why the rest were not."""
        for event in events:
            if not await self._emit_one(event, deadline, progress):
                return
            progress.accepted += 1
            progress.failure, progress.detail = None, ""

    async def _emit_one(self, event: WebhookEvent, deadline: float, progress: Progress) -> bool:
        request = EmitEventRequest(
            token=self._config.token, eventKey=event.key, eventData=event.json()
        )
        backoff: Backoff | None = None
        failures = 0
        while True:
            left = deadline - self._clock()
            if left <= 0:
                if progress.failure is None:
                    progress.failure = Outcome.NOT_ACCEPTED_IN_TIME
                return False
            try:
                await self._link.emit(request, within=left)
            except aio.AioRpcError as error:
                code, details = error.code(), error.details() or ""
            else:
                self._metrics.event_emitted(event.key)
                return True
            verdict = emit_verdict(code, details)
            if verdict is EmitVerdict.REFUSED:
                self._metrics.event_refused(event.key)
                progress.failure, progress.detail = Outcome.ENGINE_REFUSED, _cut(details)
                return False
            failures += 1
            if verdict is EmitVerdict.FAILED and failures >= FAILED_EMIT_TRIES:
                progress.failure = Outcome.ENGINE_REFUSED
                progress.detail = _cut(f"{code.name}: {details}")
                return False
            # Our own deadline, with the engine connected, is slowness; anything else here is
            # an engine that cannot be reached.
            slow = code.name == "DEADLINE_EXCEEDED" and self._link.listening.is_set()
            progress.failure = Outcome.NOT_ACCEPTED_IN_TIME if slow else Outcome.ENGINE_UNREACHABLE
            progress.detail = ""
            if backoff is None:
                backoff = self._config.backoff(self._draw)
            await asyncio.sleep(min(backoff.next_delay(), max(0.0, deadline - self._clock())))


def _cut(text: str) -> str:
    return text if len(text) <= DETAILS_CHARS else text[:DETAILS_CHARS] + CUT
