"""Freshness and duplicates: the replay window (clock passed in), and the rules of what the
service's store remembers of a body: new ones told from retries, partial progress kept (sends
that got no answer included), concurrent copies blocked, abandoned claims taken over. The rules
are applied to a dictionary here, as a store applies them; the store's own bounds are tested
with it (``tests/runtime/test_store.py``)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesg_pusher.webhooks import (
    MAX_SENDS,
    REPLAY_WINDOW_MS,
    BodyRecord,
    Claim,
    WebhookOutcome,
    WebhookRefused,
    body_digest,
    body_emitting,
    body_expires_ms,
    body_progress,
    check_fresh,
    claim_body,
    decode_body,
    encode_body,
    sends_left,
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


class Bodies:
    """The rules applied to a dictionary, as a store applies them."""

    def __init__(self, in_progress_ms: float = 10_000) -> None:
        self.records: dict[bytes, BodyRecord] = {}
        self.in_progress_ms = in_progress_ms
        self.claims = 0

    def claim(self, digest: bytes, events: int, now_ms: float) -> Claim:
        self.claims += 1
        claim, kept = claim_body(
            self.records.get(digest),
            digest=digest,
            owner=f"claim-{self.claims}",
            events=events,
            now_ms=now_ms,
            in_progress_ms=self.in_progress_ms,
        )
        if kept is not None:
            self.records[digest] = kept
        return claim

    def progress(
        self, claim: Claim, done: int, unanswered: int = 0, *, release: bool = True
    ) -> bool:
        """`done` events from the claim's start are behind."""
        ours, moved = body_progress(
            self.records.get(claim.digest),
            owner=claim.owner,
            done=claim.start + done,
            unanswered=unanswered,
            release=release,
        )
        if moved is not None:
            self.records[claim.digest] = moved
        return ours


def test_a_body_emitted_in_full_is_a_duplicate_afterwards() -> None:
    bodies = Bodies()
    first = bodies.claim(b"d", 2, NOW_MS)
    assert (first.kind, first.start, first.unanswered) == ("new", 0, 0)
    assert bodies.progress(first, 2)
    again = bodies.claim(b"d", 2, NOW_MS + 1000)
    assert again.kind == "duplicate"
    assert not bodies.progress(again, 0)  # a duplicate holds nothing: nothing changes
    assert bodies.claim(b"d", 2, NOW_MS + 2000).kind == "duplicate"


def test_a_body_is_a_duplicate_only_once_all_its_events_are_behind() -> None:
    bodies = Bodies()
    claim = bodies.claim(b"d", 3, NOW_MS)
    bodies.progress(claim, 0)  # the engine was unreachable
    retry = bodies.claim(b"d", 3, NOW_MS + 1)
    assert (retry.kind, retry.start) == ("new", 0)
    bodies.progress(retry, 2)  # two behind, then a failure
    resumed = bodies.claim(b"d", 3, NOW_MS + 2)
    assert (resumed.kind, resumed.start) == ("new", 2)  # the retry emits only the third
    bodies.progress(resumed, 1)
    assert bodies.claim(b"d", 3, NOW_MS + 3).kind == "duplicate"


def test_sends_without_an_answer_are_remembered_for_whoever_resumes() -> None:
    bodies = Bodies()
    claim = bodies.claim(b"d", 3, NOW_MS)
    # Before each send the progress is written: the first event is behind, one send of the
    # second may reach the engine; then this emission ends without a word (its service died).
    assert bodies.progress(claim, 1, 1, release=False)
    assert bodies.claim(b"d", 3, NOW_MS + 100).kind == "in_progress"
    resumed = bodies.claim(b"d", 3, NOW_MS + 10_000)  # its time ran out: taken over
    assert (resumed.kind, resumed.start, resumed.unanswered) == ("new", 1, 1)
    assert not bodies.progress(claim, 3)  # the first claim's late news changes nothing
    assert bodies.records[b"d"].done == 1


def test_a_second_send_without_an_answer_is_the_last() -> None:
    assert MAX_SENDS == 2
    assert [sends_left(n) for n in range(4)] == [True, True, False, False]


def test_a_copy_arriving_while_the_body_is_emitted_waits() -> None:
    bodies = Bodies()
    claim = bodies.claim(b"d", 1, NOW_MS)
    assert bodies.claim(b"d", 1, NOW_MS + 100).kind == "in_progress"
    bodies.progress(claim, 1)
    assert bodies.claim(b"d", 1, NOW_MS + 200).kind == "duplicate"


def test_a_claim_never_released_is_taken_over_after_a_while() -> None:
    bodies = Bodies(in_progress_ms=10_000)
    abandoned = bodies.claim(b"d", 1, NOW_MS)
    assert bodies.claim(b"d", 1, NOW_MS + 9_999).kind == "in_progress"
    taken = bodies.claim(b"d", 1, NOW_MS + 10_000)
    assert taken.kind == "new"
    assert not bodies.progress(abandoned, 1)  # late news from the abandoned claim: nothing
    assert bodies.claim(b"d", 1, NOW_MS + 10_001).kind == "in_progress"
    bodies.progress(taken, 0)
    assert bodies.claim(b"d", 1, NOW_MS + 10_002).kind == "new"


def test_a_body_being_emitted_is_never_forgotten_for_room() -> None:
    bodies = Bodies()
    claim = bodies.claim(b"d", 2, NOW_MS)
    assert body_emitting(bodies.records[b"d"])
    bodies.progress(claim, 1)
    assert not body_emitting(bodies.records[b"d"])


def test_a_body_is_forgotten_once_it_would_be_refused_as_stale() -> None:
    assert body_expires_ms(NOW_MS) == NOW_MS + REPLAY_WINDOW_MS
    assert body_expires_ms(NOW_MS, 1000) == NOW_MS + 1000


@given(
    st.builds(
        BodyRecord,
        total=st.integers(0, 10**6),
        done=st.integers(0, 10**6),
        unanswered=st.integers(0, MAX_SENDS),
        owner=st.text(st.characters(codec="utf-8"), max_size=40),
        busy_until_ms=st.floats(0, 1e15),
    )
)
def test_a_record_is_read_back_as_it_was_written(record: BodyRecord) -> None:
    assert decode_body(encode_body(record)) == record


@pytest.mark.parametrize(
    "raw", [b"", b"b1", b"b1{}", b"b1[1,2,3,4]", b'b1[1,2,3,4,"x"]', b'k1[1,0,0,"",0]']
)
def test_a_record_it_cannot_read_is_refused(raw: bytes) -> None:
    with pytest.raises(ValueError, match="record"):
        decode_body(raw)
