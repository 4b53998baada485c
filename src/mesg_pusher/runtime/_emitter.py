"""Emitting a webhook's events to the engine: one event call per event (``EmitEvent``,
``Event/Create``, ``Runner/Event``, as the engine's generation has it), one after another so
their order is kept, each until the engine takes it or it is clear it will not in time.

The discipline is that of results (``_submission.py``), through the same retry loop
(``_retry.py``) and the same adapter: the call waits for the adapter's connection, an unreachable
engine is tried again with backoff, a failure the engine answers for other reasons a few times.
What the engine's words mean is ``_verdicts.py``'s. Unlike a result, an event has a deadline:
the webhook's sender is waiting, and a sender that gets no 2xx sends the body again, so
emission stops at `deadline` and reports how far it got (`Progress`): what that makes of the
webhook is decided by `mesg_pusher.webhooks.decide`.

``EmitEvent`` keeps no keys, so each event is emitted at least once, and twice only when the
engine's answer was lost or late:

- a send that failed without the engine's answer while it was connected may have emitted the
  event (`may_have_emitted`); the event is sent once more at most (`sends_left`), and after a
  second such send it is left behind unconfirmed (counted, never sent a third time);
- before each send, the progress is recorded (`record`): how many events are behind, and how
  many sends of the next one may reach the engine, this one included, so that a retry of the
  body, here or at another replica, knows as much even if this emission never ends;
- an event the engine refuses for good (its key or its data) is counted and left behind, and
  the next one is emitted; a refusal of the service itself (its token) stops the emission.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Final

from .._backoff import Backoff
from .._text import cut
from ..webhooks import Setback, WebhookEvent, sends_left
from ._config import ServeConfig
from ._engine_api import CallFailed, EngineApi
from ._labels import DETAILS_CHARS
from ._retry import Again, Done, retry
from ._stats import Stats
from ._verdicts import EmitVerdict, emit_verdict, may_have_emitted

#: Tries of an event the engine fails on for reasons other than being unreachable.
FAILED_EMIT_TRIES: Final = 3
#: Writes the progress: (events behind, sends of the next one that may reach the engine).
Record = Callable[[int, int], Awaitable[None]]


async def _not_recorded(done: int, unanswered: int) -> None:
    return None


@dataclass(slots=True)
class Progress:
    """How far the emission of a webhook's events got: how many are behind (`done`: accepted
    by the engine, refused by it for good, or unconfirmed), how many sends of the next one got
    no answer (`unanswered`), and what held up the next one (None while nothing did)."""

    done: int = 0
    unanswered: int = 0
    emitted: int = 0
    refused: int = 0
    unconfirmed: int = 0
    setback: Setback | None = None
    detail: str = ""
    #: Why the last event left behind without being accepted was (for the log line).
    note: str = ""
    #: A send is under way: if the emission is stopped now, it may have reached the engine.
    sending: bool = False

    @property
    def maybe_sent(self) -> int:
        """Sends of the next event that may have reached the engine, the one under way too."""
        return self.unanswered + self.sending


class _Sent(Enum):
    ACCEPTED = "accepted"
    REFUSED = "refused"  # for good: left behind
    UNCONFIRMED = "unconfirmed"  # sent twice without an answer: left behind
    STOPPED = "stopped"  # not behind: the emission ends here


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
        self,
        events: Sequence[WebhookEvent],
        deadline: float,
        progress: Progress,
        record: Record = _not_recorded,
    ) -> None:
        """Emit `events` in order until one is not accepted by `deadline` (on this clock);
        `progress` (whose `unanswered` counts the sends of the first one already made) says
        how far it got, and `record` writes it before each send. `record` may raise (the store
        is unreachable): the emission ends with it."""
        stats = self._stats
        for event in events:
            sent = (
                await self._emit_one(event, deadline, progress, record)
                if sends_left(progress.unanswered)
                else _Sent.UNCONFIRMED
            )
            if sent is _Sent.STOPPED:
                return
            if sent is _Sent.ACCEPTED:
                progress.emitted += 1
            elif sent is _Sent.REFUSED:
                progress.refused += 1
                stats.event_refused(event.key)
            else:
                progress.note = f"{event.key} sent twice without the engine's answer"
                progress.unconfirmed += 1
                stats.event_unconfirmed(event.key)
            progress.done += 1
            progress.unanswered = 0
            progress.setback, progress.detail = None, ""

    async def _emit_one(
        self, event: WebhookEvent, deadline: float, progress: Progress, record: Record
    ) -> _Sent:
        failures = 0
        connected = False  # the link was up when the current send started

        async def call() -> _Sent:
            nonlocal connected
            await record(progress.done, progress.unanswered + 1)
            connected = self._link_up()
            progress.sending = True  # and so it stays if the emission is cancelled meanwhile
            try:
                await self._api.emit(
                    event.key, event.data, within=max(0.0, deadline - self._clock())
                )
            except CallFailed:
                progress.sending = False
                raise
            progress.sending = False
            self._stats.event_emitted(event.key)
            return _Sent.ACCEPTED

        def judge(failure: CallFailed) -> Again | Done[_Sent]:
            nonlocal failures
            assert failure.code is not None
            code, details = failure.code, failure.details
            verdict = emit_verdict(code, details, failure.generation)
            if verdict is EmitVerdict.REFUSED:
                progress.note = cut(f"{event.key} refused: {details}", DETAILS_CHARS)
                return Done(_Sent.REFUSED)
            if verdict is EmitVerdict.SERVICE_REFUSED:
                progress.setback, progress.detail = Setback.REFUSED, cut(details, DETAILS_CHARS)
                return Done(_Sent.STOPPED)
            if may_have_emitted(code, connected=connected or self._link_up()):
                progress.unanswered += 1
                if not sends_left(progress.unanswered):
                    return Done(_Sent.UNCONFIRMED)
            failures += 1
            if verdict is EmitVerdict.FAILED and failures >= FAILED_EMIT_TRIES:
                progress.setback = Setback.FAILED
                progress.detail = cut(f"{code.name}: {details}", DETAILS_CHARS)
                return Done(_Sent.STOPPED)
            # Our own deadline, with the engine connected, is slowness; anything else here is
            # an engine that cannot be reached.
            slow = code.name == "DEADLINE_EXCEEDED" and self._link_up()
            progress.setback = Setback.SLOW if slow else Setback.UNREACHABLE
            progress.detail = ""
            return Again.LATER

        def expired() -> _Sent:
            return _Sent.STOPPED

        return await retry(
            call, judge, self._backoff, clock=self._clock, until=deadline, expired=expired
        )
