"""Emitting a webhook's events to the engine: one event call per event (``EmitEvent``,
``Event/Create``, ``Runner/Event``, as the engine's generation has it), one after another so
their order is kept, each until the engine takes it or it is clear it will not in time.

The discipline is that of results (``_submission.py``), through the same retry loop
(``_retry.py``) and the same adapter: the call waits for the adapter's connection, a failure the
engine's words call a refusal (``_verdicts.emit_verdict``) stops at once, an unreachable engine is
tried again with backoff, anything else a few times. Unlike a result, an event has a deadline:
the webhook's sender is waiting, and a sender that gets no 2xx sends the body again, so emission
stops at `deadline` and reports how far it got (`Progress`): what that makes of the webhook is
decided by `mesg_pusher.webhooks.decide`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from .._backoff import Backoff
from .._text import cut
from ..webhooks import Setback, WebhookEvent
from ._config import ServeConfig
from ._engine_api import CallFailed, EngineApi
from ._labels import DETAILS_CHARS
from ._retry import Again, Done, retry
from ._stats import Stats
from ._verdicts import EmitVerdict, emit_verdict

#: Tries of an event the engine fails on for reasons other than being unreachable.
FAILED_EMIT_TRIES: Final = 3


@dataclass(slots=True)
class Progress:
    """How far the emission of a webhook's events got: how many were accepted, and what held
    up the next one (None while nothing did)."""

    accepted: int = 0
    setback: Setback | None = None
    detail: str = ""


class Emitter:
    """Emits events through `api`; `link_up` says whether the task stream is open."""

    def __init__(
        self,
        api: EngineApi,
        config: ServeConfig,
        *,
        stats: Stats,
        link_up: Callable[[], bool],
        draw: Callable[[], float],
        clock: Callable[[], float],
    ) -> None:
        self._api = api
        self._config = config
        self._stats = stats
        self._link_up = link_up
        self._draw = draw
        self._clock = clock

    def _backoff(self) -> Backoff:
        return self._config.backoff(self._draw)

    async def emit(
        self, events: Sequence[WebhookEvent], deadline: float, progress: Progress
    ) -> None:
        """Emit `events` in order until one is not accepted by `deadline` (on this clock);
        `progress` says how many were and why the rest were not."""
        for event in events:
            if not await self._emit_one(event, deadline, progress):
                return
            progress.accepted += 1
            progress.setback, progress.detail = None, ""

    async def _emit_one(self, event: WebhookEvent, deadline: float, progress: Progress) -> bool:
        failures = 0

        async def call() -> bool:
            await self._api.emit(event.key, event.data, within=max(0.0, deadline - self._clock()))
            self._stats.event_emitted(event.key)
            return True

        def judge(failure: CallFailed) -> Again | Done[bool]:
            nonlocal failures
            assert failure.code is not None
            code, details = failure.code, failure.details
            verdict = emit_verdict(code, details, failure.generation)
            if verdict is EmitVerdict.REFUSED:
                self._stats.event_refused(event.key)
                progress.setback, progress.detail = Setback.REFUSED, cut(details, DETAILS_CHARS)
                return Done(False)
            failures += 1
            if verdict is EmitVerdict.FAILED and failures >= FAILED_EMIT_TRIES:
                progress.setback = Setback.FAILED
                progress.detail = cut(f"{code.name}: {details}", DETAILS_CHARS)
                return Done(False)
            # Our own deadline, with the engine connected, is slowness; anything else here is
            # an engine that cannot be reached.
            slow = code.name == "DEADLINE_EXCEEDED" and self._link_up()
            progress.setback = Setback.SLOW if slow else Setback.UNREACHABLE
            progress.detail = ""
            return Again.LATER

        def expired() -> bool:
            return False

        return await retry(
            call, judge, self._backoff, clock=self._clock, until=deadline, expired=expired
        )
