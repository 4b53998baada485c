"""The one decision of a webhook's answer from what happened to it."""

from __future__ import annotations

import pytest

from mesg_pusher.webhooks import ENDED_BY, Emission, Setback, WebhookOutcome, decide


def outcome(**happened: object) -> WebhookOutcome | None:
    given = decide(**happened)  # type: ignore[arg-type]
    return None if given is None else given.outcome


def test_before_the_intake_a_stop_or_a_full_hand_answers_at_once() -> None:
    assert outcome(stopping=True) is WebhookOutcome.STOPPING
    assert outcome(stopping=True, busy=True) is WebhookOutcome.STOPPING
    assert outcome(stopping=False, busy=True) is WebhookOutcome.BUSY
    assert outcome(stopping=False) is None  # the intake decides next


@pytest.mark.parametrize("stopping", [False, True])
@pytest.mark.parametrize("setback", [None, *Setback])
def test_every_event_accepted_is_200_whatever_else_happened(
    stopping: bool, setback: Setback | None
) -> None:
    emission = Emission(2, 2, setback, "detail")
    given = decide(stopping=stopping, emission=emission, link_up=False)
    assert given is not None
    assert (given.outcome, given.status, given.body) == (WebhookOutcome.ACCEPTED, 200, b"{}")


@pytest.mark.parametrize("setback", list(Setback))
def test_an_emission_ended_short_is_answered_by_what_ended_it(setback: Setback) -> None:
    given = decide(stopping=False, emission=Emission(1, 2, setback, "why"))
    assert given is not None
    assert given.outcome is ENDED_BY[setback]
    assert given.status == (500 if setback is Setback.DEFECT else 503)
    assert b"why" in given.body
    assert outcome(stopping=True, emission=Emission(1, 2, setback)) is WebhookOutcome.STOPPING


def test_missing_events_are_never_a_success() -> None:
    assert outcome(stopping=False, emission=Emission(0, 1)) is WebhookOutcome.NOT_ACCEPTED_IN_TIME


@pytest.mark.parametrize(
    ("setback", "link_up", "expected"),
    [
        (None, True, WebhookOutcome.NOT_ACCEPTED_IN_TIME),
        (Setback.SLOW, True, WebhookOutcome.NOT_ACCEPTED_IN_TIME),
        (Setback.UNREACHABLE, True, WebhookOutcome.ENGINE_UNREACHABLE),
        (None, False, WebhookOutcome.ENGINE_UNREACHABLE),
        (Setback.SLOW, False, WebhookOutcome.ENGINE_UNREACHABLE),
    ],
)
def test_an_emission_still_under_way_is_503_saying_why(
    setback: Setback | None, link_up: bool, expected: WebhookOutcome
) -> None:
    emission = Emission(0, 2, setback, over=False)
    assert outcome(stopping=False, emission=emission, link_up=link_up) is expected
    assert outcome(stopping=True, emission=emission, link_up=link_up) is WebhookOutcome.STOPPING
