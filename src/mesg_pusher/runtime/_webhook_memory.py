"""The webhook receiver's memory of bodies, in the service's store: the edge of the rules in
`mesg_pusher.webhooks` (`claim_body`, `body_progress`), so that a body retried at another
replica, or at this service after a restart with the same store, resumes after what was
emitted.

`WebhookMemory.claim` turns a verified body into a `Ticket`. While its events are emitted, a
`Recorder` writes the progress before each send (how many events are behind, and how many sends
of the next one may have reached the engine), skipping writes that change nothing, and releases
the body at the end. Every call may raise `StoreUnavailable`; `ClaimLost` says that the body was
taken over meanwhile (its claim's time ran out), so this emission stops.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import partial
from typing import Any, Final

from .._errors import MesgPusherError
from ..webhooks import (
    MAX_IN_PROGRESS_MS,
    MAX_REMEMBERED_BYTES,
    REPLAY_WINDOW_MS,
    BodyRecord,
    Claim,
    Ticket,
    Verified,
    WebhookEvent,
    body_emitting,
    body_expires_ms,
    body_progress,
    claim_body,
    decode_body,
    encode_body,
)
from ._store import Space, Step, Store

BODIES: Final[Space[BodyRecord]] = Space(
    name="bodies",
    encode=encode_body,
    decode=decode_body,
    max_bytes=MAX_REMEMBERED_BYTES,
    evicts=True,
    pinned=body_emitting,
)


class ClaimLost(MesgPusherError):
    """The body was taken over by another claim while this one emitted it."""


def _kept(result: Any, record: BodyRecord | None, expires_ms: float) -> Step[BodyRecord, Any]:
    return Step(result, record, expires_ms) if record is not None else Step(result)


class WebhookMemory:
    """Bodies seen lately, in `store`; `wall_ms` gives the wall clock in milliseconds."""

    def __init__(
        self,
        store: Store,
        *,
        wall_ms: Callable[[], float],
        window_ms: float = REPLAY_WINDOW_MS,
        in_progress_ms: float = MAX_IN_PROGRESS_MS,
    ) -> None:
        self.store = store
        self._wall_ms = wall_ms
        self._window_ms = window_ms
        self._in_progress_ms = in_progress_ms
        self._instance = secrets.token_hex(8)
        self._claims = 0

    @property
    def held_bytes(self) -> int:
        """What the bodies remembered in this process cost at most."""
        return self.store.held_bytes(BODIES)

    async def claim(
        self,
        verified: Verified[Any],
        kept: tuple[WebhookEvent, ...],
        left_out: tuple[WebhookEvent, ...] = (),
    ) -> Ticket[Any]:
        """The ticket for `verified`, whose events `kept` are to be emitted (the filters left
        the others out): when none is, nothing is claimed (nor remembered)."""
        if left_out and not kept:
            return Ticket(verified, None, kept, left_out)
        self._claims += 1
        owner = f"{self._instance}:{self._claims}"
        expires = body_expires_ms(verified.webhook.time_ms, self._window_ms)
        now_ms = self._wall_ms()

        def step(record: BodyRecord | None) -> Step[BodyRecord, Claim]:
            claimed, record_kept = claim_body(
                record,
                digest=verified.digest,
                owner=owner,
                events=len(kept),
                now_ms=now_ms,
                in_progress_ms=self._in_progress_ms,
            )
            return _kept(claimed, record_kept, expires)

        claim = await self.store.change(BODIES, verified.digest, step)
        return Ticket(verified, claim, kept, left_out)

    def recorder(self, ticket: Ticket[Any]) -> Recorder:
        assert ticket.claim is not None  # a ticket without one is answered without emitting
        expires = body_expires_ms(ticket.verified.webhook.time_ms, self._window_ms)
        return Recorder(self.store, ticket.claim, expires)


class Recorder:
    """Writes the progress of one claimed body (counted from its claim's start)."""

    def __init__(self, store: Store, claim: Claim, expires_ms: float) -> None:
        self._store = store
        self._claim = claim
        self._expires_ms = expires_ms
        self._written = (0, claim.unanswered)

    async def record(self, done: int, unanswered: int) -> None:
        """`done` events from the start are behind; `unanswered` sends of the next one may
        have reached the engine (counting the one about to be made)."""
        if (done, unanswered) != self._written:
            await self._write(done, unanswered, release=False)

    async def release(self, done: int, unanswered: int) -> None:
        """The emission is over: record where it ended and let the body go."""
        await self._write(done, unanswered, release=True)

    async def _write(self, done: int, unanswered: int, *, release: bool) -> None:
        claim = self._claim
        step = partial(
            body_progress,
            owner=claim.owner,
            done=claim.start + done,
            unanswered=unanswered,
            release=release,
        )

        def kept(record: BodyRecord | None) -> Step[BodyRecord, bool]:
            ours, moved = step(record)
            return _kept(ours, moved, self._expires_ms)

        if not await self._store.change(BODIES, claim.digest, kept):
            raise ClaimLost("the webhook was taken over by another request while it was emitted")
        self._written = (done, unanswered)
