"""Pusher's webhooks as MESG events: one webhook from its body to its answer, without HTTP (the
listener in ``_listener.py`` is the edge, and a load generator can drive `receive` directly).

Theory of operation, one webhook (every answer is decided by `mesg_pusher.webhooks`: `decide`
from what happened, the intake's checks and duplicates by `Intake`; this module reports):

1. While the service stops, or while too many webhooks (or bytes of them) are in hand, the
   answer is 503 at once: the sender retries later.
2. `Intake.check` verifies and reads the body; a refusal (401, 400, 413, 503 without an app) is
   answered at once and emits nothing. The body is claimed in the service's store
   (`WebhookMemory`, ``_webhook_memory.py``): one already emitted is answered 200, one being
   emitted by another request (here or at another replica) 503, again emitting nothing; a store
   that cannot be reached is 503 too, and nothing is emitted unguarded.
3. Otherwise its events are emitted, in order, by a task of their own (`Emitter`), given
   `emit_within` seconds, the progress recorded in the store before each send; the answer
   waits for it at most `answer_within` (within the 4 seconds a sender allows). Emitted in
   time: 200 ``{}``, or 503 saying what went wrong. Not in time: 503, and the emission goes on
   until its own deadline, so that a retry of the body finds it emitted (200, nothing emitted
   twice) or carries on from the first event not behind.
4. The body is released in the store where its emission ended, whatever ended it (a stop
   included), and `Intake.close` gives the answer.

Each webhook leaves one log line once it is answered and its emission is over: the app key
(another key only scrubbed of the apps' secrets and cut), how many events, how many the filters
left out, the outcome, the status, the time to the answer, how many events were emitted, and how
many were refused by the engine for good or left unconfirmed (with the last one's reason; a
warning then). Its outcome and the time to its answer are counted (in `Stats`) when it is
answered; the events left out, by kind, when a body is read for emission (not again for a
duplicate).

`stop` makes every new webhook 503; `finish` waits for the emissions under way until a moment,
then stops those left (what they emitted counts, and their retry resumes from there).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from .._secrets import scrub
from .._text import cut
from ..webhooks import (
    ANSWER_WITHIN_SECONDS,
    MAX_IN_PROGRESS_MS,
    Emission,
    Intake,
    Setback,
    Ticket,
    WebhookOutcome,
    WebhookRefused,
    WebhookResponse,
    decide,
    respond,
)
from ._emitter import Emitter, Progress
from ._labels import DETAILS_CHARS
from ._stats import Stats
from ._store import StoreFull, StoreUnavailable
from ._webhook_memory import ClaimLost, WebhookMemory

log = logging.getLogger("mesg_pusher.runtime")

#: The answer is given this long after the body arrived at most: within the 4 seconds a sender
#: waits, with room for the network and a loaded machine.
ANSWER_WITHIN: Final = ANSWER_WITHIN_SECONDS - 0.5
#: How long a webhook's events are emitted for at most. Shorter than the time a body being
#: emitted blocks its copies (`MAX_IN_PROGRESS_MS`), so that no retry takes over a body still
#: being emitted (which could emit an event twice).
EMIT_WITHIN: Final = MAX_IN_PROGRESS_MS / 1000 - 1.0
#: Webhooks in hand at once at most, and the bytes of their bodies: past either, 503 at once.
MAX_WEBHOOKS: Final = 1000
MAX_WEBHOOK_BYTES: Final = 32 * 1024 * 1024
#: Characters of an app key shown in a log line at most, when it is not the configured one.
KEY_CHARS: Final = 64


def _wall_ms() -> float:
    return time.time() * 1000


@dataclass(eq=False, slots=True)
class _Job:
    """One webhook whose events are being emitted."""

    ticket: Ticket[Any]
    key: str
    size: int
    started: float
    deadline: float
    progress: Progress = field(default_factory=Progress)
    # Given before the emission ended: the webhook's line waits for the emission.
    answered: WebhookResponse | None = None
    answered_at: float = 0.0
    abandoned: bool = False  # its request went away unanswered
    final: WebhookResponse | None = None  # the intake's answer once the emission ended


class WebhookReceiver:
    """Receives webhooks for the apps of `intake`, emitting their events with `emitter` and
    remembering their bodies in `memory`.

    `secrets` are the apps' secrets (kept out of the log lines), `link_up` says whether the
    task stream is open, `clock` gives monotonic seconds and `wall_ms` the wall clock in
    milliseconds (``time_ms`` is checked against it).
    """

    def __init__(
        self,
        intake: Intake[Any],
        emitter: Emitter,
        stats: Stats,
        *,
        memory: WebhookMemory,
        secrets: Sequence[str] = (),
        link_up: Callable[[], bool] = lambda: True,
        clock: Callable[[], float] = time.monotonic,
        wall_ms: Callable[[], float] = _wall_ms,
        answer_within: float = ANSWER_WITHIN,
        emit_within: float = EMIT_WITHIN,
        max_webhooks: int = MAX_WEBHOOKS,
        max_bytes: int = MAX_WEBHOOK_BYTES,
    ) -> None:
        self.intake = intake
        self.memory = memory
        self._emitter = emitter
        self._stats = stats
        self._secrets = list(secrets)
        self._keys = frozenset(app.key for app in intake.apps)
        self._link_up = link_up
        self._clock = clock
        self._wall_ms = wall_ms
        self._answer_within = answer_within
        self._emit_within = emit_within
        self._max_webhooks = max_webhooks
        self._max_bytes = max_bytes
        self._jobs: dict[_Job, asyncio.Task[None]] = {}
        self._waiting = 0  # requests waiting for their emission
        self._answered_all = asyncio.Event()
        self._answered_all.set()
        self.held_bytes = 0
        self.stopping = False

    @property
    def in_hand(self) -> int:
        """Webhooks whose events are being emitted (whether answered yet or not); every
        other webhook is answered without waiting."""
        return len(self._jobs)

    # One webhook -----------------------------------------------------------------------------

    async def receive(
        self,
        key: str | None,
        signature: str | None,
        body: bytes,
        *,
        arrived: float | None = None,
    ) -> WebhookResponse:
        """The answer to one webhook (`key` and `signature` its headers, None when missing),
        given within `answer_within` of `arrived` (this clock's time the request came in, so
        reading the body counts too; by default, now)."""
        started = self._clock() if arrived is None else arrived
        busy = self.in_hand >= self._max_webhooks or bool(
            self.held_bytes and self.held_bytes + len(body) > self._max_bytes
        )
        given = decide(stopping=self.stopping, busy=busy)
        if given is not None:
            return self._answered(given, started, key)
        try:
            verified = self.intake.check(
                key=key, signature=signature, body=body, now_ms=self._wall_ms()
            )
        except WebhookRefused as refused:
            return self._answered(refused.response, started, key, detail=refused.detail)
        kept, left_out = self.intake.split(verified)
        try:
            ticket = await self.memory.claim(verified, kept, left_out)
        except (StoreUnavailable, StoreFull) as error:
            unreachable = respond(WebhookOutcome.STORE_UNREACHABLE)
            seen = Ticket(verified, None, kept, left_out)
            return self._answered(unreachable, started, key, ticket=seen, detail=str(error))
        if ticket.fresh:
            for event in ticket.left_out:
                self._stats.event_filtered(event.key)
        given = ticket.response
        if given is not None:
            return self._answered(given, started, key, ticket=ticket)
        if self.stopping:  # it stopped while the body was claimed: let the body go
            await self._let_go(ticket)
            given = decide(stopping=True)
            assert given is not None
            return self._answered(given, started, key, ticket=ticket)
        job = _Job(ticket, ticket.verified.app.key, len(body), started, started + self._emit_within)
        task = asyncio.get_running_loop().create_task(self._emit(job))
        self._jobs[job] = task
        self.held_bytes += job.size
        self._waiting += 1
        self._answered_all.clear()
        try:
            await asyncio.wait(
                {task}, timeout=max(0.0, job.started + self._answer_within - self._clock())
            )
        except asyncio.CancelledError:  # the request went away: the emission goes on
            job.abandoned = True
            raise
        finally:
            self._waiting -= 1
            if not self._waiting:
                self._answered_all.set()
        progress = job.progress
        emission = Emission(
            progress.done,
            len(job.ticket.pending),
            progress.setback,
            progress.detail,
            over=job.final is not None,
            filtered=len(job.ticket.left_out),
        )
        given = decide(stopping=self.stopping, emission=emission, link_up=self._link_up())
        assert given is not None  # an emission is always decided
        if emission.over:
            return self._answered(given, started, key, job=job)
        job.answered, job.answered_at = given, self._clock()
        self._count(given, started)
        return given

    def refused(
        self, refused: WebhookRefused, key: str | None, *, arrived: float
    ) -> WebhookResponse:
        """The answer to a webhook the listener refuses itself (its body never arrived)."""
        return self._answered(refused.response, arrived, key, detail=refused.detail)

    async def _emit(self, job: _Job) -> None:
        """Emit `job`'s events, then release the body where they ended, whatever ended it."""
        progress = job.progress
        assert job.ticket.claim is not None  # a ticket without one is never emitted
        progress.unanswered = job.ticket.claim.unanswered
        recorder = self.memory.recorder(job.ticket)
        try:
            await self._emitter.emit(job.ticket.pending, job.deadline, progress, recorder.record)
        except (StoreUnavailable, StoreFull, ClaimLost) as error:
            # The answer says only that the store is unreachable; the log line says why.
            progress.setback, progress.detail, progress.note = Setback.STORE, "", str(error)
        except Exception:  # the one boundary for defects of ours: the webhook is answered
            log.exception("webhook: a defect of the service while emitting its events")
            progress.setback, progress.detail = Setback.DEFECT, ""
        finally:
            try:
                await recorder.release(progress.done, progress.maybe_sent)
            except (StoreUnavailable, StoreFull, ClaimLost) as error:
                progress.note = f"its progress could not be recorded: {error}"
            job.final = self.intake.close(
                job.ticket, progress.done, progress.setback, progress.detail
            )
            del self._jobs[job]
            self.held_bytes -= job.size
            if job.answered is not None or job.abandoned:
                self._line(job.answered or job.final, job.started, job.key, job=job)

    async def _let_go(self, ticket: Ticket[Any]) -> None:
        """Release a body claimed but not to be emitted, so its retry need not wait."""
        assert ticket.claim is not None  # a ticket without one claimed nothing
        with contextlib.suppress(StoreUnavailable, StoreFull, ClaimLost):  # else it runs out
            await self.memory.recorder(ticket).release(0, ticket.claim.unanswered)

    def _answered(
        self,
        given: WebhookResponse,
        started: float,
        key: str | None,
        *,
        ticket: Ticket[Any] | None = None,
        detail: str = "",
        job: _Job | None = None,
    ) -> WebhookResponse:
        """Count the answer and write the webhook's line."""
        self._count(given, started)
        self._line(given, started, key, ticket=ticket, detail=detail, job=job)
        return given

    def _count(self, given: WebhookResponse, started: float) -> None:
        seconds = max(0.0, self._clock() - started)
        self._stats.webhook(given.outcome.value, given.status, seconds)

    def _line(
        self,
        given: WebhookResponse,
        started: float,
        key: str | None,
        *,
        ticket: Ticket[Any] | None = None,
        detail: str = "",
        job: _Job | None = None,
    ) -> None:
        behind = job is not None and bool(job.progress.refused or job.progress.unconfirmed)
        level = logging.INFO if given.ok and not behind else logging.WARNING
        if not log.isEnabledFor(level):
            return
        now = self._clock()
        line: dict[str, Any] = {"key": self._key_label(key)}
        if job is not None:
            ticket = job.ticket
        if ticket is not None:
            line["events"] = len(ticket.verified.webhook.events)
            if ticket.left_out:
                line["filtered"] = len(ticket.left_out)
        line["outcome"] = given.outcome.value
        line["status"] = given.status
        answered_at = job.answered_at if job is not None and job.answered is not None else now
        line["duration_ms"] = round((answered_at - started) * 1000, 1)
        if job is not None:
            progress = job.progress
            line["emitted"] = progress.emitted
            if progress.refused:
                line["refused"] = progress.refused
            if progress.unconfirmed:
                line["unconfirmed"] = progress.unconfirmed
            if job.answered is not None:  # the emission went on after the answer
                line["emission_ms"] = round((now - started) * 1000, 1)
            detail = detail or progress.detail or progress.note
        if detail:
            shown = scrub(detail, self._secrets) if self._secrets else detail
            line["detail"] = cut(shown, DETAILS_CHARS)
        log.log(level, "webhook", extra={"fields": line})

    def _key_label(self, key: str | None) -> str:
        """The ``X-Pusher-Key`` for a log line: a configured key as it is, any other text
        scrubbed of the secrets and cut."""
        if key is None:
            return "(none)"
        if key in self._keys:
            return key
        shown = scrub(key, self._secrets) if self._secrets else key
        return cut(shown, KEY_CHARS)

    # Stopping --------------------------------------------------------------------------------

    def stop(self) -> None:
        """From now on every webhook is answered 503 (the sender retries later)."""
        self.stopping = True

    async def finish(self, until: float) -> None:
        """Let the emissions under way go on until `until` (on this clock), then stop those
        left; what they emitted counts, and a retry of their bodies resumes from there."""
        if not self._jobs:
            return
        tasks = set(self._jobs.values())
        _, pending = await asyncio.wait(tasks, timeout=max(0.0, until - self._clock()))
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        # The requests that waited on them answer now (503): let them.
        await self._answered_all.wait()
