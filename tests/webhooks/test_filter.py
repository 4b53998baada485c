"""The filters an operator sets: the events kept by kind and channel prefix, in order; a webhook
whose every event is left out answered 200 ``filtered`` with nothing emitted or remembered, one
partly left out emitting the rest."""

from __future__ import annotations

import pytest

from mesg_pusher.pusher import webhook_signature as signature
from mesg_pusher.webhooks import (
    EVERY_EVENT,
    Emission,
    Intake,
    WebhookEvent,
    WebhookFilter,
    WebhookOutcome,
    decide,
)

from .conftest import APP, NOW_MS, Remembered, body_of


def event(key: str, channel: str) -> WebhookEvent:
    return WebhookEvent(key, {"channel": channel, "time_ms": NOW_MS})


EVENTS = [
    event("channel_occupied", "private-orders"),
    event("member_added", "presence-room"),
    event("channel_occupied", "news"),
    event("client_event", "private-chat"),
]


@pytest.mark.parametrize(
    ("chosen", "kept"),
    [
        (EVERY_EVENT, [0, 1, 2, 3]),
        (WebhookFilter(events=frozenset({"channel_occupied"})), [0, 2]),
        (WebhookFilter(channel_prefixes=("private-",)), [0, 3]),
        (WebhookFilter(channel_prefixes=("presence-", "news")), [1, 2]),
        (
            WebhookFilter(
                events=frozenset({"channel_occupied", "client_event"}),
                channel_prefixes=("private-",),
            ),
            [0, 3],
        ),
        (WebhookFilter(events=frozenset({"cache_miss"})), []),
    ],
)
def test_events_are_kept_by_kind_and_channel_prefix_in_order(
    chosen: WebhookFilter, kept: list[int]
) -> None:
    assert chosen.split(EVENTS) == (
        tuple(EVENTS[i] for i in kept),
        tuple(e for i, e in enumerate(EVENTS) if i not in kept),
    )


def test_a_webhook_whose_events_are_all_left_out_is_answered_200_and_not_remembered() -> None:
    assert decide(stopping=False, emission=Emission(0, 0, filtered=2)).outcome is (  # type: ignore[union-attr]
        WebhookOutcome.FILTERED
    )
    intake = Remembered(Intake([APP], chosen=WebhookFilter(events=frozenset({"member_added"}))))
    body = body_of({"name": "channel_occupied", "channel": "a"})
    sig = signature(APP.secret, body)
    for _ in range(3):  # each copy alike: never in progress, never a duplicate
        ticket = intake.open(key=APP.key, signature=sig, body=body, now_ms=NOW_MS)
        assert ticket.pending == ()
        assert [e.key for e in ticket.left_out] == ["channel_occupied"]
        given = ticket.response
        assert given is not None
        assert (given.outcome, given.status, given.body) == (WebhookOutcome.FILTERED, 200, b"{}")
        assert intake.close(ticket, 0) == given
    assert intake.records == {}


def test_a_webhook_partly_left_out_emits_the_rest_once() -> None:
    intake = Remembered(Intake([APP], chosen=WebhookFilter(channel_prefixes=("presence-",))))
    body = body_of(
        {"name": "channel_occupied", "channel": "news"},
        {"name": "channel_occupied", "channel": "presence-a"},
        {"name": "channel_vacated", "channel": "presence-b"},
    )
    sig = signature(APP.secret, body)
    ticket = intake.open(key=APP.key, signature=sig, body=body, now_ms=NOW_MS)
    assert ticket.response is None
    assert [e.data["channel"] for e in ticket.pending] == ["presence-a", "presence-b"]
    assert [e.data["channel"] for e in ticket.left_out] == ["news"]
    # The first emitted, then a failure: the retry emits only the second.
    answer = intake.close(ticket, 1)
    assert answer.status == 503
    ticket = intake.open(key=APP.key, signature=sig, body=body, now_ms=NOW_MS)
    assert [e.data["channel"] for e in ticket.pending] == ["presence-b"]
    assert intake.close(ticket, 1).outcome is WebhookOutcome.ACCEPTED
    ticket = intake.open(key=APP.key, signature=sig, body=body, now_ms=NOW_MS)
    assert ticket.response is not None
    assert ticket.response.outcome is WebhookOutcome.DUPLICATE
    assert not ticket.fresh
