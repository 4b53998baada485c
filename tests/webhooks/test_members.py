"""The memory of what this service signed of presence members: the latest signature's
``user_info``, for its app, channel and user only, for 24 hours, within its bytes, never a guess;
and a webhook's member events carrying it."""

from __future__ import annotations

import json
import sys
import tracemalloc

import pytest

from mesg_pusher._json import dumps
from mesg_pusher.mesg import load_packaged, validate
from mesg_pusher.pusher import authorize_channel
from mesg_pusher.pusher import webhook_signature as signature
from mesg_pusher.webhooks import (
    MEMBER_ENTRY_BYTES,
    MEMBER_INFO_MS,
    Intake,
    MemberMemory,
)

from .conftest import APP, NOW_MS, OTHER, Remembered, body_of

HOUR = 60 * 60 * 1000


def signed(user_id: object, user_info: object = None, *, info: bool = True) -> str:
    """The channel data an authorization carries, as ``authorizeChannel`` writes it."""
    data: dict[str, object] = {"user_id": user_id}
    if info:
        data["user_info"] = user_info
    answer = authorize_channel(
        key=APP.key,
        secret=APP.secret,
        socket_id="1.2",
        channel="presence-room",
        channel_data=data,
    )
    return answer["channel_data"]


def test_a_member_signed_has_its_user_info_for_that_app_channel_and_user_only() -> None:
    memory = MemberMemory()
    memory.note(APP.key, "presence-room", signed("ada", {"name": "Ada", "n": [1]}), NOW_MS)
    assert memory.user_info(APP.key, "presence-room", "ada", NOW_MS) == {"name": "Ada", "n": [1]}
    for key, channel, user in (
        (OTHER.key, "presence-room", "ada"),
        (APP.key, "presence-hall", "ada"),
        (APP.key, "presence-room", "bob"),
    ):
        assert memory.user_info(key, channel, user, NOW_MS) is None


def test_what_is_returned_is_a_new_object_each_time() -> None:
    memory = MemberMemory()
    memory.note(APP.key, "presence-room", signed("ada", {"tags": ["a"]}), NOW_MS)
    first = memory.user_info(APP.key, "presence-room", "ada", NOW_MS)
    assert first is not None
    first["tags"].append("changed")
    assert memory.user_info(APP.key, "presence-room", "ada", NOW_MS) == {"tags": ["a"]}


def test_it_lasts_24_hours_from_the_latest_signature() -> None:
    assert MEMBER_INFO_MS == 24 * HOUR
    memory = MemberMemory()
    memory.note(APP.key, "presence-room", signed("ada", {"v": 1}), NOW_MS)
    assert memory.user_info(APP.key, "presence-room", "ada", NOW_MS + 24 * HOUR) == {"v": 1}
    assert memory.user_info(APP.key, "presence-room", "ada", NOW_MS + 24 * HOUR + 1) is None
    memory.note(APP.key, "presence-room", signed("ada", {"v": 2}), NOW_MS + 23 * HOUR)
    assert memory.user_info(APP.key, "presence-room", "ada", NOW_MS + 40 * HOUR) == {"v": 2}
    # Noting another member forgets the expired ones.
    memory.note(APP.key, "presence-room", signed("bob", {"v": 3}), NOW_MS + 48 * HOUR)
    assert len(memory) == 1


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (signed("ada", info=False), "signed without user_info"),
        (signed("ada", None), "user_info null"),
        (signed("ada", "a text"), "user_info not an object"),
        (signed("ada", [1, 2]), "user_info a list"),
    ],
)
def test_signed_again_without_an_object_forgets_it(data: str, why: str) -> None:
    memory = MemberMemory()
    memory.note(APP.key, "presence-room", signed("ada", {"old": True}), NOW_MS)
    memory.note(APP.key, "presence-room", data, NOW_MS + 1)
    assert memory.user_info(APP.key, "presence-room", "ada", NOW_MS + 2) is None, why
    assert (len(memory), memory.held_bytes) == (0, 0)


@pytest.mark.parametrize(
    "data",
    [
        "not json",
        '{"user_info": {"a": 1}}',
        '{"user_id": "", "user_info": {"a": 1}}',
        '{"user_id": true, "user_info": {"a": 1}}',
        '{"user_id": null, "user_info": {"a": 1}}',
        "[1]",
    ],
)
def test_channel_data_naming_no_member_is_not_noted(data: str) -> None:
    memory = MemberMemory()
    memory.note(APP.key, "presence-room", data, NOW_MS)
    assert len(memory) == 0
    for user in ("", "true", "null", "None"):
        assert memory.user_info(APP.key, "presence-room", user, NOW_MS) is None


def test_a_numeric_user_id_is_found_as_pushers_webhooks_write_it() -> None:
    memory = MemberMemory()
    memory.note(APP.key, "presence-room", signed(42, {"a": 1}), NOW_MS)
    assert memory.user_info(APP.key, "presence-room", "42", NOW_MS) == {"a": 1}


def test_past_its_bytes_the_oldest_are_forgotten_first() -> None:
    memory = MemberMemory(max_bytes=4000)
    for n in range(100):
        memory.note(APP.key, "presence-room", signed(f"u{n}", {"n": n}), NOW_MS + n)
        assert memory.held_bytes <= 4000
    kept = [n for n in range(100) if memory.user_info(APP.key, "presence-room", f"u{n}", NOW_MS)]
    assert kept == list(range(100 - len(kept), 100))
    assert 5 <= len(kept) < 100


def test_a_memory_of_0_bytes_remembers_nothing() -> None:
    memory = MemberMemory(max_bytes=0)
    memory.note(APP.key, "presence-room", signed("ada", {"a": 1}), NOW_MS)
    assert memory.user_info(APP.key, "presence-room", "ada", NOW_MS) is None
    assert (len(memory), memory.held_bytes) == (0, 0)
    with pytest.raises(ValueError, match="max_bytes"):
        MemberMemory(max_bytes=-1)


def test_an_entry_costs_what_the_memory_counts() -> None:
    """Measured: what each member's entry adds besides its texts, and what `held_bytes` says."""
    memory = MemberMemory(max_bytes=1 << 40)
    count = 20_000
    notes = [signed(f"user-{n}", {"name": f"User {n}", "team": "blue"}) for n in range(count + 100)]
    channels = [f"presence-{n}" for n in range(count + 100)]
    for n in range(100):  # the memory's own first allocations
        memory.note(APP.key, channels[n], notes[n], NOW_MS)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        held = memory.held_bytes
        for n in range(100, count + 100):
            memory.note(APP.key, channels[n], notes[n], NOW_MS)
        grown = tracemalloc.get_traced_memory()[0] - before
        counted = memory.held_bytes - held
    finally:
        tracemalloc.stop()
    # Made by noting: the user id and the user_info's text; the key and channel were there.
    texts = sum(
        sys.getsizeof(f"user-{n}") + sys.getsizeof(dumps({"name": f"User {n}", "team": "blue"}))
        for n in range(100, count + 100)
    )
    assert grown <= counted
    per_entry = (grown - texts) / count
    assert MEMBER_ENTRY_BYTES / 2 < per_entry <= MEMBER_ENTRY_BYTES


def test_member_events_carry_what_was_signed_for_the_signing_app() -> None:
    memory = MemberMemory()
    memory.note(APP.key, "presence-room", signed("ada", {"name": "Ada"}), NOW_MS - HOUR)
    body = body_of(
        {"name": "member_added", "channel": "presence-room", "user_id": "ada"},
        {"name": "member_added", "channel": "presence-room", "user_id": "bob"},
        {"name": "member_removed", "channel": "presence-room", "user_id": "ada"},
    )
    intake = Remembered(Intake([OTHER, APP], members=memory))
    ticket = intake.open(
        key=APP.key, signature=signature(APP.secret, body), body=body, now_ms=NOW_MS
    )
    assert [dict(e.data) for e in ticket.pending] == [
        {
            "channel": "presence-room",
            "user_id": "ada",
            "user_info": {"name": "Ada"},
            "app_key": APP.key,
            "time_ms": NOW_MS,
        },
        {"channel": "presence-room", "user_id": "bob", "app_key": APP.key, "time_ms": NOW_MS},
        {
            "channel": "presence-room",
            "user_id": "ada",
            "user_info": {"name": "Ada"},
            "app_key": APP.key,
            "time_ms": NOW_MS,
        },
    ]
    assert json.loads(ticket.pending[1].json()).keys() == {
        "channel",
        "user_id",
        "app_key",
        "time_ms",
    }
    declared = load_packaged().events
    for event in ticket.pending:
        assert validate(declared[event.key].data, event.data) == []
    # The same member of another app sharing the channel name: nothing signed for it.
    other = body_of({"name": "member_added", "channel": "presence-room", "user_id": "ada"})
    ticket = intake.open(
        key=OTHER.key, signature=signature(OTHER.secret, other), body=other, now_ms=NOW_MS
    )
    assert "user_info" not in ticket.pending[0].data
    assert ticket.pending[0].data["app_key"] == OTHER.key
