"""A receiver's whole decision about one webhook, pure: `check` verifies and reads a body,
`Intake` checks for a set of apps and turns what emission achieved into the answer; whether the
body was seen before is the store's (the rules are ``_replay.py``'s `claim_body`).

Theory of operation, one webhook:

1. `Intake.check` (or `check` alone): no app configured -> 503; body over the size limit -> 413;
   unknown ``X-Pusher-Key`` or a missing or wrong ``X-Pusher-Signature`` -> 401; not a webhook
   -> 400; ``time_ms`` outside the replay window -> 401. Each raises `WebhookRefused`, whose
   `response` is what to send back. Nothing is emitted for any of them. The first three need
   only the key and the body's length: `check_head` asks them before the body is read.
2. The body is fresh and signed: its events carry the signing app's key, and a presence
   member's ``user_info`` when this service signed it (``_members.py``). The filters choose
   which become MESG events (`Intake.split`, ``_filter.py``): when none does, the answer is 200
   and nothing is emitted or remembered. Otherwise the edge claims the body in the store, and
   the `Ticket` says whether it was already emitted (answer 200, emit nothing), is being
   emitted by another request (answer 503), or which events to emit.
3. The edge emits `Ticket.pending` one after another, so their order is kept, recording its
   progress in the store: an event the engine refuses for good is left behind, the emission
   stops at any other failure.
4. `Intake.close` gives the answer from how many are behind (``_decision.py``): 200 ``{}``
   when all are, else 503 with what went wrong; a retry of the body then emits only what is
   left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic

from ..mesg import Output
from ._decision import Emission, Setback, decide
from ._filter import EVERY_EVENT, WebhookFilter
from ._limits import MAX_BODY_BYTES, REPLAY_WINDOW_MS
from ._members import MemberMemory
from ._outcomes import WebhookOutcome, WebhookRefused, WebhookResponse, respond
from ._parse import UserInfo, Webhook, WebhookEvent, parse
from ._replay import Claim, body_digest, check_fresh
from ._signature import C, signers, verify


@dataclass(frozen=True, slots=True)
class Verified(Generic[C]):
    """A webhook that passed every check: the app that signed it, its events and its digest."""

    app: C
    webhook: Webhook
    digest: bytes


def check_head(
    apps: Sequence[C], *, key: str | None, size: int, max_bytes: int = MAX_BODY_BYTES
) -> None:
    """What step 1 can refuse before the body is read, from the key and the body's `size`;
    raises `WebhookRefused`."""
    if not apps:
        raise WebhookRefused(WebhookOutcome.NO_APP)
    if size > max_bytes:
        raise WebhookRefused(WebhookOutcome.TOO_LARGE, f"at most {max_bytes} bytes")
    signers(apps, key)


def check(
    apps: Sequence[C],
    *,
    key: str | None,
    signature: str | None,
    body: bytes,
    now_ms: float,
    events: Mapping[str, Output] | None = None,
    max_bytes: int = MAX_BODY_BYTES,
    window_ms: float = REPLAY_WINDOW_MS,
    members: MemberMemory | None = None,
) -> Verified[C]:
    """Verify and read one webhook (step 1 above, and the events' data of step 2: `members`
    is what this service signed of presence members); raises `WebhookRefused`."""
    check_head(apps, key=key, size=len(body), max_bytes=max_bytes)
    app = verify(apps, key, signature, body)
    user_info: UserInfo | None = None
    if members is not None:
        memory = members

        def user_info(channel: str, user_id: str) -> Mapping[str, Any] | None:
            return memory.user_info(app.key, channel, user_id, now_ms)

    webhook = parse(body, events, app_key=app.key, user_info=user_info)
    check_fresh(webhook.time_ms, now_ms, window_ms)
    return Verified(app, webhook, body_digest(app.key, body))


@dataclass(frozen=True, slots=True)
class Ticket(Generic[C]):
    """One verified webhook and what the receiver is to do with it: its `claim` on the events
    `kept` (None when the filters kept none), and those `left_out`."""

    verified: Verified[C]
    claim: Claim | None
    kept: tuple[WebhookEvent, ...]
    left_out: tuple[WebhookEvent, ...] = ()

    @property
    def response(self) -> WebhookResponse | None:
        """The answer to give at once without emitting (every event left out, a duplicate, or
        one in progress)."""
        if self.claim is None:
            return decide(stopping=False, emission=Emission(0, 0, filtered=len(self.left_out)))
        if self.claim.kind == "duplicate":
            return respond(WebhookOutcome.DUPLICATE)
        if self.claim.kind == "in_progress":
            return respond(WebhookOutcome.IN_PROGRESS)
        return None

    @property
    def pending(self) -> tuple[WebhookEvent, ...]:
        """The events to emit, in order (none unless the claim is new)."""
        if self.claim is None or self.claim.kind != "new":
            return ()
        return self.kept[self.claim.start :]

    @property
    def fresh(self) -> bool:
        """Whether this is the body's first reading, or a retry of one not fully emitted (not a
        duplicate, nor one being emitted)."""
        return self.claim is None or self.claim.kind == "new"


class Intake(Generic[C]):
    """Checks webhooks for a set of apps and answers them; `chosen` says which events become
    MESG events, `members` what this service signed of presence members (their
    ``user_info``)."""

    def __init__(
        self,
        apps: Sequence[C],
        *,
        events: Mapping[str, Output] | None = None,
        max_bytes: int = MAX_BODY_BYTES,
        window_ms: float = REPLAY_WINDOW_MS,
        chosen: WebhookFilter = EVERY_EVENT,
        members: MemberMemory | None = None,
    ) -> None:
        self.apps = tuple(apps)
        self.events = events
        self.max_bytes = max_bytes
        self.window_ms = window_ms
        self.chosen = chosen
        self.members = members

    def check_head(self, *, key: str | None, size: int) -> None:
        """Step 1's refusals that need no body (`check_head`); raises `WebhookRefused`."""
        check_head(self.apps, key=key, size=size, max_bytes=self.max_bytes)

    def check(
        self, *, key: str | None, signature: str | None, body: bytes, now_ms: float
    ) -> Verified[C]:
        """Step 1; raises `WebhookRefused`."""
        return check(
            self.apps,
            key=key,
            signature=signature,
            body=body,
            now_ms=now_ms,
            events=self.events,
            max_bytes=self.max_bytes,
            window_ms=self.window_ms,
            members=self.members,
        )

    def split(
        self, verified: Verified[C]
    ) -> tuple[tuple[WebhookEvent, ...], tuple[WebhookEvent, ...]]:
        """Step 2's filters: the events of `verified` kept for emission, and those left out."""
        return self.chosen.split(verified.webhook.events)

    def close(
        self,
        ticket: Ticket[C],
        done: int,
        setback: Setback | None = None,
        detail: str = "",
    ) -> WebhookResponse:
        """Step 4: `done` of `ticket.pending` are behind, then `setback` (if any) held up the
        next one; the answer, as `decide` gives it."""
        given = ticket.response
        if given is not None:
            return given
        emission = Emission(
            done, len(ticket.pending), setback, detail, filtered=len(ticket.left_out)
        )
        given = decide(stopping=False, emission=emission)
        assert given is not None  # an emission that is over is always decided
        return given
