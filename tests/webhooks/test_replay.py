"""Freshness and duplicates: the replay window (clock passed in), and the bounded memory of
bodies that tells new ones from retries, keeps partial progress and blocks concurrent copies."""

from __future__ import annotations

import re
import tracemalloc

import pytest

from mesg_pusher.webhooks import (
    ENTRY_BYTES,
    MAX_REMEMBERED_BYTES,
    REPLAY_WINDOW_MS,
    RecentWebhooks,
    WebhookOutcome,
    WebhookRefused,
    body_digest,
    check_fresh,
)

from .conftest import NOW_MS

MINUTE = 60_000


def test_the_window_covers_pushers_five_minutes_of_retries() -> None:
    assert REPLAY_WINDOW_MS >= 5 * MINUTE + MINUTE


@pytest.mark.parametrize("age_ms", [0, 1, 5 * MINUTE, REPLAY_WINDOW_MS, -1000, -REPLAY_WINDOW_MS])
def test_fresh_webhooks_pass(age_ms: int) -> None:
    check_fresh(NOW_MS - age_ms, NOW_MS)


@pytest.mark.parametrize(
    ("age_ms", "text"),
    [
        (REPLAY_WINDOW_MS + 1, "the webhook is 600 s old (at most 600 s)"),
        (3600_000, "the webhook is 3600 s old (at most 600 s)"),
        (NOW_MS, "old"),  # time_ms 0
        (-REPLAY_WINDOW_MS - 1, "dated 600 s ahead of this clock (at most 600 s)"),
    ],
)
def test_stale_and_future_webhooks_are_refused(age_ms: int, text: str) -> None:
    with pytest.raises(WebhookRefused, match=re.escape(text)) as refused:
        check_fresh(NOW_MS - age_ms, NOW_MS)
    assert refused.value.outcome is WebhookOutcome.STALE
    assert refused.value.response.status == 401


def test_the_window_can_be_chosen() -> None:
    check_fresh(NOW_MS - 1000, NOW_MS, window_ms=1000)
    with pytest.raises(WebhookRefused):
        check_fresh(NOW_MS - 1001, NOW_MS, window_ms=1000)


def test_digest_tells_apps_and_bodies_apart() -> None:
    assert body_digest("k", b"body") == body_digest("k", b"body")
    assert (
        len({body_digest("k", b"body"), body_digest("k2", b"body"), body_digest("k", b"body2")})
        == 3
    )
    assert body_digest("k", b"\nbody") != body_digest("k\n", b"body")


def test_a_body_emitted_in_full_is_a_duplicate_afterwards() -> None:
    recent = RecentWebhooks()
    first = recent.claim(b"d", NOW_MS, 2, NOW_MS)
    assert (first.kind, first.start) == ("new", 0)
    recent.settle(first, 2)
    again = recent.claim(b"d", NOW_MS, 2, NOW_MS + 1000)
    assert again.kind == "duplicate"
    recent.settle(again, 2)  # nothing to settle: stays a duplicate
    assert recent.claim(b"d", NOW_MS, 2, NOW_MS + 2000).kind == "duplicate"


def test_a_body_is_marked_only_once_all_its_events_were_accepted() -> None:
    recent = RecentWebhooks()
    claim = recent.claim(b"d", NOW_MS, 3, NOW_MS)
    recent.settle(claim, 0)  # the engine was unreachable
    retry = recent.claim(b"d", NOW_MS, 3, NOW_MS + 1)
    assert (retry.kind, retry.start) == ("new", 0)
    recent.settle(retry, 2)  # two accepted, then a failure
    resumed = recent.claim(b"d", NOW_MS, 3, NOW_MS + 2)
    assert (resumed.kind, resumed.start) == ("new", 2)  # the retry emits only the third
    recent.settle(resumed, 1)
    assert recent.claim(b"d", NOW_MS, 3, NOW_MS + 3).kind == "duplicate"


def test_a_copy_arriving_while_the_body_is_emitted_waits() -> None:
    recent = RecentWebhooks(in_progress_ms=10_000)
    claim = recent.claim(b"d", NOW_MS, 1, NOW_MS)
    assert recent.claim(b"d", NOW_MS, 1, NOW_MS + 100).kind == "in_progress"
    recent.settle(claim, 1)
    assert recent.claim(b"d", NOW_MS, 1, NOW_MS + 200).kind == "duplicate"


def test_a_claim_never_settled_is_taken_over_after_a_while() -> None:
    recent = RecentWebhooks(in_progress_ms=10_000)
    abandoned = recent.claim(b"d", NOW_MS, 1, NOW_MS)
    assert recent.claim(b"d", NOW_MS, 1, NOW_MS + 9_999).kind == "in_progress"
    taken = recent.claim(b"d", NOW_MS, 1, NOW_MS + 10_000)
    assert taken.kind == "new"
    recent.settle(abandoned, 1)  # late news from the abandoned claim changes nothing
    assert recent.claim(b"d", NOW_MS, 1, NOW_MS + 10_001).kind == "in_progress"
    recent.settle(taken, 0)
    assert recent.claim(b"d", NOW_MS, 1, NOW_MS + 10_002).kind == "new"


def test_memory_is_bounded_by_bytes_oldest_first() -> None:
    recent = RecentWebhooks(max_bytes=3 * ENTRY_BYTES + ENTRY_BYTES // 2)
    assert recent.capacity == 3
    for name in (b"a", b"b", b"c", b"d"):
        recent.settle(recent.claim(name, NOW_MS, 1, NOW_MS), 1)
    assert (len(recent), recent.held_bytes) == (3, 3 * ENTRY_BYTES)
    assert recent.claim(b"d", NOW_MS, 1, NOW_MS).kind == "duplicate"
    assert recent.claim(b"a", NOW_MS, 1, NOW_MS).kind == "new"  # forgotten: emitted again


def test_memory_forgets_bodies_once_they_are_stale() -> None:
    recent = RecentWebhooks(window_ms=1000)
    recent.settle(recent.claim(b"old", NOW_MS, 1, NOW_MS), 1)
    recent.settle(recent.claim(b"new", NOW_MS + 900, 1, NOW_MS + 900), 1)
    assert len(recent) == 2
    assert recent.claim(b"new", NOW_MS + 900, 1, NOW_MS + 1500).kind == "duplicate"
    assert len(recent) == 1  # "old" left with its window; it would be refused as stale now


def test_the_default_memory_covers_the_whole_window_at_a_realistic_rate() -> None:
    # 300 webhooks a second for the whole window (Pusher's five minutes of retries twice over).
    assert RecentWebhooks().max_bytes == MAX_REMEMBERED_BYTES
    assert RecentWebhooks().capacity >= 300 * REPLAY_WINDOW_MS // 1000
    with pytest.raises(ValueError):
        RecentWebhooks(max_bytes=ENTRY_BYTES - 1)


def test_a_body_costs_at_most_entry_bytes() -> None:
    """Measured: the digest made for each body, its progress and its place in the memory."""
    recent = RecentWebhooks(window_ms=10**12)
    bodies = [f'{{"time_ms":{NOW_MS},"events":[{i}]}}'.encode() for i in range(20_000)]
    for body in bodies[:100]:  # the memory's own first allocations
        recent.settle(recent.claim(body_digest("k", body), NOW_MS, 1, NOW_MS), 1)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for body in bodies[100:]:
            recent.settle(recent.claim(body_digest("k", body), NOW_MS, 1, NOW_MS), 1)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    per_body = grown / (len(bodies) - 100)
    assert per_body <= ENTRY_BYTES
    assert per_body > ENTRY_BYTES / 2  # the estimate is not far off either
