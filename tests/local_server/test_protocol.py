"""The pure websocket protocol pieces: frames as Pusher writes them, and the checks."""

from __future__ import annotations

import json

import pytest

from mesg_pusher.local_server import _protocol as protocol
from mesg_pusher.local_server._state import Member
from mesg_pusher.pusher import channel_auth, user_auth

KEY, SECRET, SOCKET = "k", "s", "123.456"


def test_frames_carry_data_as_json_strings_except_errors() -> None:
    assert json.loads(protocol.connection_established("1.2", 120)) == {
        "event": "pusher:connection_established",
        "data": '{"socket_id":"1.2","activity_timeout":120}',
    }
    assert json.loads(protocol.member_added("presence-a", Member("u", {"x": 1}))) == {
        "event": "pusher_internal:member_added",
        "channel": "presence-a",
        "data": '{"user_id":"u","user_info":{"x":1}}',
    }
    assert json.loads(protocol.error("nope", 4001)) == {
        "event": "pusher:error",
        "data": {"code": 4001, "message": "nope"},
    }
    assert json.loads(protocol.event("e", "c", "d")) == {"event": "e", "channel": "c", "data": "d"}
    # A cache miss names the channel and carries no data at all.
    assert protocol.cache_miss("cache-a") == '{"event":"pusher:cache_miss","channel":"cache-a"}'


@pytest.mark.parametrize(
    ("query", "answer"),
    [
        ({"protocol": "7"}, None),
        ({"protocol": "5"}, None),
        ({}, (4008, "No protocol version supplied")),
        ({"protocol": "4"}, (4007, "Unsupported protocol version: 4")),
        ({"protocol": "x"}, (4007, "Unsupported protocol version: x")),
        ({"protocol": "07"}, None),
        ({"protocol": "\u00b2"}, (4007, "Unsupported protocol version: \u00b2")),
        ({"protocol": "\u0667"}, (4007, "Unsupported protocol version: \u0667")),
        ({"protocol": "7" * 5000}, (4007, "Unsupported protocol version: " + "7" * 39 + "…")),
    ],
)
def test_protocol_version(query: dict[str, str], answer: tuple[int, str] | None) -> None:
    assert protocol.check_protocol(query) == answer


def subscribe(channel: str, **extra: object) -> protocol.SubscribeRequest:
    data = {"channel": channel, **extra}
    return protocol.check_subscribe(data, key=KEY, secret=SECRET, socket_id=SOCKET)


def test_presence_subscription_reads_the_signed_member() -> None:
    channel_data = '{"user_id":7,"user_info":{"name":"Seven"}}'
    auth = channel_auth(
        key=KEY, secret=SECRET, socket_id=SOCKET, channel="presence-r", channel_data=channel_data
    )
    sub = subscribe("presence-r", auth=auth, channel_data=channel_data)
    assert sub.member == Member("7", {"name": "Seven"})


def test_presence_member_rules() -> None:
    def signed(channel_data: str) -> protocol.SubscribeRequest:
        auth = channel_auth(
            key=KEY,
            secret=SECRET,
            socket_id=SOCKET,
            channel="presence-r",
            channel_data=channel_data,
        )
        return subscribe("presence-r", auth=auth, channel_data=channel_data)

    with pytest.raises(protocol.Refused, match="user_id"):
        signed('{"user_info":{}}')
    with pytest.raises(protocol.Refused, match="over 1024 bytes"):
        signed(json.dumps({"user_id": "u", "user_info": {"x": "y" * 1100}}))
    with pytest.raises(protocol.Refused, match="not JSON"):
        signed("{")


def test_the_users_own_channel_is_open_to_its_signed_in_sockets_only() -> None:
    def as_user(user_id: str | None) -> protocol.SubscribeRequest:
        data = {"channel": "#server-to-user-ada", "auth": ""}  # as pusher-js sends it
        return protocol.check_subscribe(
            data, key=KEY, secret=SECRET, socket_id=SOCKET, user_id=user_id
        )

    assert as_user("ada") == protocol.SubscribeRequest("#server-to-user-ada")
    with pytest.raises(protocol.Refused, match="this one is not signed in"):
        as_user(None)
    with pytest.raises(protocol.Refused, match="this one is signed in as bob"):
        as_user("bob")
    with pytest.raises(protocol.Refused, match="signed in as ada"):
        protocol.check_subscribe(
            {"channel": "#server-to-user-"}, key=KEY, secret=SECRET, socket_id=SOCKET, user_id="ada"
        )


def test_public_channels_need_no_auth_and_names_are_checked() -> None:
    assert subscribe("news") == protocol.SubscribeRequest("news")
    with pytest.raises(protocol.Refused, match="Invalid channel name"):
        subscribe("x" * 201)
    with pytest.raises(protocol.Refused, match="Invalid signature"):
        subscribe("private-x")


def test_signin() -> None:
    user_data = '{"id":"u1"}'
    auth = user_auth(key=KEY, secret=SECRET, socket_id=SOCKET, user_data=user_data)
    data = {"auth": auth, "user_data": user_data}
    assert protocol.check_signin(data, key=KEY, secret=SECRET, socket_id=SOCKET) == (
        "u1",
        user_data,
    )
    with pytest.raises(protocol.Refused) as refused:
        protocol.check_signin(
            {**data, "auth": f"{KEY}:{'0' * 64}"}, key=KEY, secret=SECRET, socket_id=SOCKET
        )
    assert refused.value.code == protocol.UNAUTHORIZED


def test_client_event_rules() -> None:
    frame = protocol.ClientFrame("client-x", {"a": 1}, "private-c")
    assert protocol.check_client_event(frame, subscribed=True, max_data_bytes=10) == "private-c"
    with pytest.raises(protocol.Refused, match="over 5 bytes"):
        protocol.check_client_event(frame, subscribed=True, max_data_bytes=5)
    with pytest.raises(protocol.Refused, match="not subscribed"):
        protocol.check_client_event(frame, subscribed=False, max_data_bytes=10)
    encrypted = protocol.ClientFrame("client-x", "d", "private-encrypted-c")
    with pytest.raises(protocol.Refused, match="only supported"):
        protocol.check_client_event(encrypted, subscribed=True, max_data_bytes=10)
