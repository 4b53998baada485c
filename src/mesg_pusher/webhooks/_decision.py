"""The one decision of a webhook's answer from what happened to it, pure: the edges (the
listener, the receiver, the emitter) only report.

What happened, in the order a receiver meets it:

- it arrived while the receiver stops (`stopping`), or with too many webhooks or bytes in hand
  (`busy`): 503 at once, and the sender retries;
- otherwise the intake checks it (``_intake.py``: refusals and duplicates are answered there);
- its events were emitted, as far as `Emission` says: every one behind (accepted, refused by
  the engine for good, or sent twice unanswered) is 200, whatever else happened (stopping
  included), and so is a webhook whose every event the filters left out (``_filter.py``:
  nothing to emit, nothing for the sender to retry); a stop is 503; an emission that ended
  short is answered by what ended it (`Setback`), 503 or 500 for a defect; an emission still
  under way when the answer is due is 503, saying the engine is unreachable when it is (or the
  task stream is down), else that it did not accept the events in time.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Final

from ._outcomes import WebhookOutcome, WebhookResponse, respond


class Setback(Enum):
    """What kept the last event tried from being accepted, as the emitter saw it."""

    REFUSED = "refused"  # the engine refused the service (its token): nothing can be emitted
    FAILED = "failed"  # the engine failed on it each time it was tried
    SLOW = "slow"  # the engine, connected, did not accept it in time
    UNREACHABLE = "unreachable"  # the engine could not be reached
    DEFECT = "defect"  # a defect of the receiver stopped the emission
    STORE = "store"  # the service's store could not be reached to claim or record it


#: The outcome of a webhook whose emission ended short, by what ended it.
ENDED_BY: Final = MappingProxyType(
    {
        Setback.REFUSED: WebhookOutcome.ENGINE_REFUSED,
        Setback.FAILED: WebhookOutcome.ENGINE_REFUSED,
        Setback.SLOW: WebhookOutcome.NOT_ACCEPTED_IN_TIME,
        Setback.UNREACHABLE: WebhookOutcome.ENGINE_UNREACHABLE,
        Setback.DEFECT: WebhookOutcome.DEFECT,
        Setback.STORE: WebhookOutcome.STORE_UNREACHABLE,
    }
)


@dataclass(frozen=True, slots=True)
class Emission:
    """How far the emission of a webhook's events got: `done` of the `pending` ones are behind
    (see the module's docstring), what held up the next one (None when nothing did) with its
    `detail` (no secret, no body content), whether the emission is `over`, and how many events
    the filters left out."""

    done: int
    pending: int
    setback: Setback | None = None
    detail: str = ""
    over: bool = True
    filtered: int = 0


def decide(
    *,
    stopping: bool,
    busy: bool = False,
    emission: Emission | None = None,
    link_up: bool = True,
) -> WebhookResponse | None:
    """The answer to a webhook given what happened (see the module's docstring), or None when
    nothing is decided yet: the intake is to check it. `busy` counts before any emission;
    `link_up` while one is under way."""
    if emission is not None and emission.over and emission.done >= emission.pending:
        if emission.filtered and not emission.pending:
            return respond(WebhookOutcome.FILTERED)
        return respond(WebhookOutcome.ACCEPTED)
    if stopping:
        return respond(WebhookOutcome.STOPPING)
    if emission is None:
        return respond(WebhookOutcome.BUSY) if busy else None
    if emission.over:
        ended_by = ENDED_BY.get(emission.setback) if emission.setback is not None else None
        return respond(ended_by or WebhookOutcome.NOT_ACCEPTED_IN_TIME, emission.detail)
    if emission.setback is Setback.UNREACHABLE or not link_up:
        return respond(WebhookOutcome.ENGINE_UNREACHABLE)
    return respond(WebhookOutcome.NOT_ACCEPTED_IN_TIME)
