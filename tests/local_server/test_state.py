"""The pure subscription and presence state."""

from __future__ import annotations

import pytest

from mesg_pusher.local_server._state import AppState, Left, Member


def connected(*socket_ids: str) -> AppState:
    state = AppState()
    for socket_id in socket_ids:
        state.connect(socket_id)
    return state


def test_public_subscriptions_count_sockets_and_vacate() -> None:
    state = connected("1.1", "2.2")
    assert not state.subscribe("1.1", "news").already_subscribed
    assert state.subscribe("1.1", "news").already_subscribed
    state.subscribe("2.2", "news")
    assert state.subscription_count("news") == 2
    assert state.occupied() == ["news"]
    assert state.recipients("news", exclude="1.1") == ["2.2"]
    assert state.unsubscribe("1.1", "news") == Left("news", None, vacated=False)
    assert state.unsubscribe("2.2", "news") == Left("news", None, vacated=True)
    assert state.occupied() == []
    assert state.unsubscribe("2.2", "news") is None


def test_presence_member_is_added_once_and_removed_with_its_last_connection() -> None:
    state = connected("1.1", "2.2", "3.3")
    alice = Member("alice", {"name": "Alice"})
    assert state.subscribe("1.1", "presence-room", alice).member_added == alice
    # The same user from a second connection is not a new member.
    assert state.subscribe("2.2", "presence-room", alice).member_added is None
    assert state.subscribe("3.3", "presence-room", Member("bob")).member_added == Member("bob")
    assert state.user_count("presence-room") == 2
    assert state.subscription_count("presence-room") == 3
    assert state.presence("presence-room") == {
        "ids": ["alice", "bob"],
        "hash": {"alice": {"name": "Alice"}, "bob": None},
        "count": 2,
    }
    assert state.unsubscribe("1.1", "presence-room") == Left("presence-room", None, False)
    assert state.disconnect("2.2") == [Left("presence-room", "alice", False)]
    assert state.user_ids("presence-room") == ["bob"]


def test_presence_subscription_needs_a_member() -> None:
    state = connected("1.1")
    with pytest.raises(ValueError, match="member"):
        state.subscribe("1.1", "presence-room")


def test_member_limit() -> None:
    state = connected("1.1", "2.2")
    state.subscribe("1.1", "presence-x", Member("a"))
    assert state.would_exceed_members("presence-x", "b", limit=1)
    assert not state.would_exceed_members("presence-x", "a", limit=1)
    assert not state.would_exceed_members("presence-y", "b", limit=1)


def test_disconnect_leaves_every_channel_and_forgets_the_user() -> None:
    state = connected("1.1", "2.2")
    state.sign_in("1.1", "u1")
    state.sign_in("2.2", "u1")
    state.subscribe("1.1", "a")
    state.subscribe("1.1", "b")
    assert state.user_sockets("u1") == ["1.1", "2.2"]
    assert [left.channel for left in state.disconnect("1.1")] == ["a", "b"]
    assert state.user_sockets("u1") == ["2.2"]
    assert state.occupied() == []
    assert not state.is_connected("1.1")
    assert state.disconnect("1.1") == []
    assert state.connection_count == 1


def test_a_socket_id_connects_once() -> None:
    state = connected("1.1")
    with pytest.raises(ValueError, match="already"):
        state.connect("1.1")


def test_occupied_filters_by_prefix() -> None:
    state = connected("1.1")
    for channel in ("presence-a", "private-b", "c"):
        state.subscribe("1.1", channel, Member("u") if channel.startswith("presence-") else None)
    assert state.occupied("presence-") == ["presence-a"]
    assert state.occupied() == ["c", "presence-a", "private-b"]
    assert state.channels_of("1.1") == ["c", "presence-a", "private-b"]
    assert state.user_of_channel("1.1", "presence-a") == "u"
