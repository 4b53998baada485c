"""The local server's webhook plan, pure and clocked by the test: which events go out, batched
how, and the delayed vacated/removed that a quick return cancels, as Pusher debounces them."""

from __future__ import annotations

from typing import Any

from mesg_pusher.local_server._state import AppState, Joined, Left, Member
from mesg_pusher.local_server._webhook_plan import MAX_BATCH_EVENTS, Batch, WebhookPlan

DELAY = 3.0
WINDOW = 0.25


class Recorder:
    """An app's state and the plan side by side, as the broker joins them."""

    def __init__(self, delay: float = DELAY, window: float = WINDOW) -> None:
        self.state = AppState()
        self.plan = WebhookPlan(delay=delay, batch_window=window)

    def connect(self, socket_id: str) -> None:
        self.state.connect(socket_id)

    def join(self, socket_id: str, channel: str, now: float, user: str | None = None) -> None:
        member = Member(user) if user is not None else None
        joined = self.state.subscribe(socket_id, channel, member)
        count = self.state.subscription_count(channel)
        self.plan.joined("1", channel, joined, count, now)

    def leave(self, socket_id: str, channel: str, now: float) -> None:
        left = self.state.unsubscribe(socket_id, channel)
        assert left is not None
        self.plan.left("1", left, self.state.subscription_count(channel), now)

    def disconnect(self, socket_id: str, now: float) -> None:
        for left in self.state.disconnect(socket_id):
            self.plan.left("1", left, self.state.subscription_count(left.channel), now)

    def take(self, now: float) -> list[list[tuple[Any, ...]]]:
        return [[_short(e) for e in batch.events] for batch in self.plan.take(now)]


def _short(event: dict[str, Any]) -> tuple[Any, ...]:
    rest = tuple(v for k, v in event.items() if k not in ("name", "channel"))
    return (event["name"], event["channel"], *rest)


def test_a_subscriber_coming_and_going() -> None:
    r = Recorder()
    r.connect("1.1")
    r.join("1.1", "news", now=0.0)
    assert r.take(0.1) == []  # the batch is still open
    assert r.plan.next_due() == WINDOW
    assert r.take(WINDOW) == [[("channel_occupied", "news"), ("subscription_count", "news", 1)]]
    assert r.plan.next_due() is None
    r.leave("1.1", "news", now=10.0)
    assert r.plan.next_due() == 10.0 + DELAY
    assert r.take(10.0 + DELAY - 0.01) == []
    assert r.take(10.0 + DELAY) == []  # due: it opens a batch
    assert r.take(10.0 + DELAY + WINDOW) == [[("channel_vacated", "news")]]


def test_presence_members_and_client_events() -> None:
    r = Recorder()
    r.connect("1.1")
    r.connect("1.2")
    r.join("1.1", "presence-room", now=0.0, user="ada")
    r.join("1.2", "presence-room", now=0.0, user="ada")  # the same user again: no new member
    r.plan.client_event(
        "1",
        channel="presence-room",
        event="client-wave",
        data={"hi": 1},
        socket_id="1.1",
        user_id="ada",
        now=0.1,
    )
    r.plan.client_event(
        "1",
        channel="private-x",
        event="client-t",
        data="text",
        socket_id="1.2",
        user_id=None,
        now=0.1,
    )
    assert r.take(1.0) == [
        [
            ("channel_occupied", "presence-room"),
            ("member_added", "presence-room", "ada"),
            ("client_event", "presence-room", "client-wave", '{"hi":1}', "1.1", "ada"),
            ("client_event", "private-x", "client-t", "text", "1.2"),
        ]
    ]
    r.disconnect("1.1", now=2.0)  # ada is still there on 1.2
    r.disconnect("1.2", now=2.5)
    assert r.take(2.5 + DELAY + WINDOW) == [
        [("member_removed", "presence-room", "ada"), ("channel_vacated", "presence-room")]
    ]


def test_a_return_within_the_delay_cancels_the_pair() -> None:
    r = Recorder()
    r.connect("1.1")
    r.join("1.1", "presence-room", now=0.0, user="ada")
    r.join("1.1", "news", now=0.0)
    r.take(1.0)
    r.disconnect("1.1", now=5.0)  # a page reload...
    r.connect("1.2")
    r.join("1.2", "presence-room", now=6.0, user="ada")  # ...back within the delay
    r.join("1.2", "news", now=6.0)
    assert r.take(20.0) == []  # neither the removal nor the return, nor the same count again
    assert r.plan.next_due() is None
    r.disconnect("1.2", now=30.0)
    r.connect("1.3")
    r.join("1.3", "news", now=30.0 + DELAY + 1)  # back after the delay: both are sent
    assert r.take(40.0) == [
        [
            ("channel_vacated", "news"),
            ("member_removed", "presence-room", "ada"),
            ("channel_vacated", "presence-room"),
        ],
        [("channel_occupied", "news"), ("subscription_count", "news", 1)],
    ]


def test_another_member_leaving_is_not_cancelled_by_a_return() -> None:
    r = Recorder()
    for socket_id in ("1.1", "1.2"):
        r.connect(socket_id)
    r.join("1.1", "presence-room", now=0.0, user="ada")
    r.join("1.2", "presence-room", now=0.0, user="bob")
    r.take(1.0)
    r.leave("1.1", "presence-room", now=2.0)
    r.connect("1.3")
    r.join("1.3", "presence-room", now=2.5, user="cy")
    assert r.take(2.5 + WINDOW) == [[("member_added", "presence-room", "cy")]]
    assert r.take(2.0 + DELAY + WINDOW) == [[("member_removed", "presence-room", "ada")]]


def test_subscription_counts_keep_the_latest_and_skip_presence() -> None:
    r = Recorder()
    for n in range(4):
        r.connect(f"1.{n}")
        r.join(f"1.{n}", "news", now=0.0)
    r.join("1.0", "presence-x", now=0.0, user="u")
    assert r.take(WINDOW) == [
        [
            ("channel_occupied", "news"),
            ("subscription_count", "news", 4),
            ("channel_occupied", "presence-x"),
            ("member_added", "presence-x", "u"),
        ]
    ]
    r.leave("1.3", "news", now=1.0)
    r.connect("1.9")
    r.join("1.9", "news", now=1.0)  # back to 4 within the batch: 4 is sent again once
    r.leave("1.2", "news", now=2.0)
    assert r.take(1.0 + WINDOW) == [[("subscription_count", "news", 4)]]
    assert r.take(2.0 + WINDOW) == [[("subscription_count", "news", 3)]]


def test_batches_hold_at_most_twenty_events_and_apps_are_apart() -> None:
    plan = WebhookPlan(delay=DELAY, batch_window=WINDOW)
    joined = Joined(already_subscribed=False, occupied=True)
    for n in range(MAX_BATCH_EVENTS + 5):
        plan.joined("1", f"presence-{n}", joined, 1, now=0.0)
    plan.joined("2", "presence-other", joined, 1, now=0.0)
    batches = plan.take(0.0)
    assert [(b.app_id, len(b.events)) for b in batches] == [("1", MAX_BATCH_EVENTS)]
    rest = plan.take(WINDOW)
    assert [(b.app_id, len(b.events)) for b in rest] == [("1", 5), ("2", 1)]
    assert rest[1] == Batch("2", ({"name": "channel_occupied", "channel": "presence-other"},))


def test_no_delay_and_no_window_send_at_once() -> None:
    r = Recorder(delay=0.0, window=0.0)
    r.connect("1.1")
    r.join("1.1", "presence-a", now=0.0, user="u")
    assert r.take(0.0) == [
        [("channel_occupied", "presence-a"), ("member_added", "presence-a", "u")]
    ]
    r.leave("1.1", "presence-a", now=1.0)
    assert r.take(1.0) == [
        [("member_removed", "presence-a", "u"), ("channel_vacated", "presence-a")]
    ]


def test_left_without_vacating_reports_the_count() -> None:
    plan = WebhookPlan(delay=DELAY, batch_window=WINDOW)
    plan.joined("1", "news", Joined(already_subscribed=False, occupied=True), 2, now=0.0)
    plan.left("1", Left("news"), 1, now=0.1)
    (batch,) = plan.take(WINDOW)
    assert [e["name"] for e in batch.events] == ["channel_occupied", "subscription_count"]
    assert batch.events[1]["subscription_count"] == 1


def test_cache_misses_are_sent_once_per_channel_and_batch() -> None:
    r = Recorder()
    for socket_id in ("1.1", "1.2"):
        r.connect(socket_id)
        r.join(socket_id, "cache-prices", now=0.0)
        r.plan.cache_miss("1", "cache-prices", now=0.0)
    r.plan.cache_miss("1", "cache-other", now=0.1)
    assert r.take(WINDOW) == [
        [
            ("channel_occupied", "cache-prices"),
            ("cache_miss", "cache-prices"),
            # The batch keeps a channel's latest count only, moved to where it changed last.
            ("subscription_count", "cache-prices", 2),
            ("cache_miss", "cache-other"),
        ]
    ]
    # A later batch hears of a new miss again.
    r.plan.cache_miss("1", "cache-prices", now=10.0)
    assert r.take(10.0 + WINDOW) == [[("cache_miss", "cache-prices")]]
