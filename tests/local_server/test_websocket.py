"""The websocket protocol 7 at /app/<key>: raw frames, and the project's Python subscriber."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from mesg_pusher.local_server import LocalServer, ServerSettings, Subscriber, SubscriberError
from mesg_pusher.pusher import PusherClient, channel_auth

from .conftest import APP, OPTIONS, api


async def raw(
    http: aiohttp.ClientSession, server: LocalServer, query: str = "?protocol=7&client=t"
) -> aiohttp.ClientWebSocketResponse:
    return await http.ws_connect(f"{server.ws_url}/app/{APP.key}{query}")


async def frame(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    message = await ws.receive(timeout=10)
    assert message.type == aiohttp.WSMsgType.TEXT, message
    parsed: dict[str, Any] = json.loads(message.data)
    return parsed


async def test_connection_established_carries_a_json_string(
    server: LocalServer, http: aiohttp.ClientSession
) -> None:
    ws = await raw(http, server)
    first = await frame(ws)
    assert first["event"] == "pusher:connection_established"
    assert isinstance(first["data"], str)
    data = json.loads(first["data"])
    assert data["activity_timeout"] == 120
    assert data["socket_id"].count(".") == 1
    assert all(part.isdigit() for part in data["socket_id"].split("."))
    await ws.send_str('{"event":"pusher:ping","data":{}}')
    assert (await frame(ws))["event"] == "pusher:pong"
    await ws.close()


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/app/nope?protocol=7", 4001),
        (f"/app/{APP.key}", 4008),
        (f"/app/{APP.key}?protocol=3", 4007),
        (f"/app/{APP.key}?protocol=\u00b2", 4007),  # a digit to str.isdigit, not to int()
        (f"/app/{APP.key}?protocol=\u0667", 4007),  # ARABIC-INDIC SEVEN, which int() reads
        (f"/app/{APP.key}?protocol=" + "7" * 5000, 4007),
        (f"/app/{APP.key}?protocol=x" + "\u00e9" * 100, 4007),
    ],
    ids=["unknown-key", "no-protocol", "old", "superscript", "arabic", "5000-digits", "long"],
)
async def test_refused_connections_get_pusher_error_codes(
    server: LocalServer, http: aiohttp.ClientSession, path: str, code: int
) -> None:
    ws = await http.ws_connect(server.ws_url + path)
    error = await frame(ws)
    assert error["event"] == "pusher:error"
    assert error["data"]["code"] == code
    closing = await ws.receive(timeout=10)
    assert closing.type == aiohttp.WSMsgType.CLOSE
    assert ws.close_code == code
    # The close frame's reason fits its 123 bytes and is whole UTF-8.
    assert closing.extra is None or len(closing.extra.encode()) <= 123


async def test_subscriber_sees_unknown_key_as_4001(server: LocalServer) -> None:
    with pytest.raises(SubscriberError) as caught:
        await Subscriber.connect(server.ws_url, "missing-key")
    assert caught.value.code == 4001


async def test_private_channel_needs_a_valid_signature(
    server: LocalServer, http: aiohttp.ClientSession
) -> None:
    ws = await raw(http, server)
    socket_id = json.loads((await frame(ws))["data"])["socket_id"]
    auth = channel_auth(key=APP.key, secret=APP.secret, socket_id=socket_id, channel="private-a")
    subscribe = {"channel": "private-a", "auth": auth}
    await ws.send_json({"event": "pusher:subscribe", "data": subscribe})
    ok = await frame(ws)
    assert ok == {
        "event": "pusher_internal:subscription_succeeded",
        "channel": "private-a",
        "data": "{}",
    }
    bad = f"{APP.key}:{'0' * 64}"
    await ws.send_json({"event": "pusher:subscribe", "data": {"channel": "private-b", "auth": bad}})
    error = await frame(ws)
    assert error["event"] == "pusher:error"
    assert error["data"] == {
        "code": None,
        "message": f"Invalid signature: Expected HMAC SHA256 hex digest of {socket_id}:private-b, "
        f"but got {bad}",
    }
    await ws.send_json(
        {"event": "pusher:subscribe", "data": {"channel": "private-b", "auth": "k:" + "0" * 64}}
    )
    assert (await frame(ws))["data"]["message"] == "Invalid key in subscription auth data: 'k'"
    await ws.send_json({"event": "pusher:subscribe", "data": {"channel": "a b"}})
    assert (await frame(ws))["data"]["message"].startswith("Invalid channel name")
    await ws.send_str("not json")
    assert (await frame(ws))["event"] == "pusher:error"
    assert not ws.closed
    await ws.close()


async def test_presence_members_come_and_go(server: LocalServer) -> None:
    async with await Subscriber.connect(server.ws_url, APP.key) as alice:
        joined = await alice.subscribe_signed(
            "presence-room", APP, user_id="alice", user_info={"n": 1}
        )
        assert json.loads(joined.data) == {
            "presence": {"ids": ["alice"], "hash": {"alice": {"n": 1}}, "count": 1}
        }
        async with await Subscriber.connect(server.ws_url, APP.key) as bob:
            joined = await bob.subscribe_signed("presence-room", APP, user_id="bob")
            presence = json.loads(joined.data)["presence"]
            assert presence["count"] == 2
            assert sorted(presence["ids"]) == ["alice", "bob"]
            added = await alice.next_event()
            assert added.event == "pusher_internal:member_added"
            assert json.loads(added.data) == {"user_id": "bob", "user_info": None}
        removed = await alice.next_event()
        assert removed.event == "pusher_internal:member_removed"
        assert json.loads(removed.data) == {"user_id": "bob"}


async def test_presence_needs_signed_channel_data(server: LocalServer) -> None:
    async with await Subscriber.connect(server.ws_url, APP.key) as sub:
        with pytest.raises(SubscriberError, match="channel_data"):
            await sub.subscribe("presence-x")
        auth = channel_auth(
            key=APP.key,
            secret=APP.secret,
            socket_id=sub.socket_id,
            channel="presence-x",
            channel_data='{"user_id":"a"}',
        )
        with pytest.raises(SubscriberError, match="Invalid signature"):
            await sub.subscribe("presence-x", auth=auth, channel_data='{"user_id":"b"}')


async def test_socket_id_exclusion(
    server: LocalServer, http: aiohttp.ClientSession, pair: tuple[Subscriber, Subscriber]
) -> None:
    a, b = pair
    await a.subscribe("news")
    await b.subscribe("news")
    payload = {"name": "e", "channel": "news", "data": "1", "socket_id": a.socket_id}
    assert (await api(http, server, "POST", "/apps/42/events", payload))[0] == 200
    assert (await b.next_event()).data == "1"
    payload = {"name": "e", "channel": "news", "data": "2"}
    await api(http, server, "POST", "/apps/42/events", payload)
    # `a` was skipped for the first event: the next one it sees is the second.
    assert (await a.next_event()).data == "2"


async def test_client_events_are_relayed_on_private_and_presence_only(
    pair: tuple[Subscriber, Subscriber],
) -> None:
    a, b = pair
    await a.subscribe_signed("private-chat", APP)
    await b.subscribe_signed("private-chat", APP)
    await a.trigger("private-chat", "client-typing", {"who": "a"})
    relayed = await b.next_event()
    assert (relayed.event, relayed.channel, relayed.data) == (
        "client-typing",
        "private-chat",
        {"who": "a"},
    )
    await a.subscribe_signed("presence-chat", APP, user_id="ua")
    await b.subscribe_signed("presence-chat", APP, user_id="ub")
    assert (await a.next_event()).event == "pusher_internal:member_added"
    await b.trigger("presence-chat", "client-hi", "x")
    relayed = await a.next_event()
    assert (relayed.event, relayed.user_id) == ("client-hi", "ub")
    await a.subscribe("public")
    await a.trigger("public", "client-no", "x")
    error = await a.next_event()
    assert error.event == "pusher:error"
    assert "only supported on private and presence channels" in error.data["message"]
    await a.trigger("private-other", "client-no", "x")
    assert "not subscribed" in (await a.next_event()).data["message"]
    await a.ping()


async def test_encrypted_channels_subscribe_with_auth_but_refuse_client_events(
    server: LocalServer, http: aiohttp.ClientSession, pair: tuple[Subscriber, Subscriber]
) -> None:
    a, b = pair
    await a.subscribe_signed("private-encrypted-x", APP)
    await b.subscribe_signed("private-encrypted-x", APP)
    with pytest.raises(SubscriberError, match="Invalid signature"):
        await a.subscribe("private-encrypted-y", auth=f"{APP.key}:{'1' * 64}")
    cipher = '{"nonce":"bm9uY2U=","ciphertext":"Y2lwaGVy"}'
    payload = {"name": "secret", "channel": "private-encrypted-x", "data": cipher}
    assert (await api(http, server, "POST", "/apps/42/events", payload))[0] == 200
    assert (await b.next_event()).data == cipher
    await a.trigger("private-encrypted-x", "client-no", "x")
    assert (await a.next_event()).event == "pusher:error"


async def test_unsubscribe_stops_delivery(
    server: LocalServer, http: aiohttp.ClientSession, pair: tuple[Subscriber, Subscriber]
) -> None:
    a, _ = pair
    await a.subscribe("news")
    await a.unsubscribe("news")
    await a.subscribe("other")
    for channel in ("news", "other"):
        event = {"name": "e", "channel": channel, "data": ""}
        await api(http, server, "POST", "/apps/42/events", event)
    assert (await a.next_event()).channel == "other"


async def test_presence_member_limit() -> None:
    settings = ServerSettings(apps=(APP,), app_options=OPTIONS, max_presence_members=1)
    async with (
        LocalServer(settings) as server,
        await Subscriber.connect(server.ws_url, APP.key) as a,
        await Subscriber.connect(server.ws_url, APP.key) as b,
    ):
        await a.subscribe_signed("presence-small", APP, user_id="a")
        with pytest.raises(SubscriberError, match="at most 1 members"):
            await b.subscribe_signed("presence-small", APP, user_id="b")


@pytest.mark.slow
async def test_silent_client_is_pinged_then_closed_with_4201(
    http: aiohttp.ClientSession,
) -> None:
    settings = ServerSettings(
        apps=(APP,), app_options=OPTIONS, activity_timeout=0.3, pong_timeout=0.3
    )
    async with LocalServer(settings) as server:
        ws = await raw(http, server)
        established = json.loads((await frame(ws))["data"])
        assert established["activity_timeout"] == 0.3
        assert (await frame(ws))["event"] == "pusher:ping"
        error = await frame(ws)
        assert error["data"] == {"code": 4201, "message": "Pong reply not received"}
        assert (await ws.receive(timeout=10)).type == aiohttp.WSMsgType.CLOSE
        assert ws.close_code == 4201
    # A client that answers the pings stays connected: pinged as often, given longer to answer
    # (a loaded machine's stall must not close it).
    settings = ServerSettings(
        apps=(APP,), app_options=OPTIONS, activity_timeout=0.3, pong_timeout=5
    )
    async with (
        LocalServer(settings) as server,
        await Subscriber.connect(server.ws_url, APP.key) as sub,
    ):
        for _ in range(3):
            with pytest.raises(TimeoutError):
                await sub.next_event(within=0.5)
        assert not sub.closed


@pytest.mark.slow
async def test_a_subscriber_that_stops_reading_delays_nobody(
    server: LocalServer, http: aiohttp.ClientSession
) -> None:
    stuck, healthy = await raw(http, server), await raw(http, server)
    for ws in (stuck, healthy):
        await frame(ws)
        await ws.send_str('{"event":"pusher:subscribe","data":{"channel":"busy"}}')
        assert (await frame(ws))["event"] == "pusher_internal:subscription_succeeded"
    transport = stuck._response.connection.transport  # type: ignore[union-attr]
    assert transport is not None
    transport.pause_reading()  # a subscriber that stops reading its socket

    received = 0
    all_received = asyncio.Event()

    async def read_healthy() -> None:
        nonlocal received
        async for message in healthy:
            if '"busy"' in message.data:
                received += 1
                if received == count:
                    all_received.set()

    count = 1500
    reader = asyncio.create_task(read_healthy())
    async with PusherClient(
        app_id=APP.app_id,
        key=APP.key,
        secret=APP.secret,
        host="127.0.0.1",
        port=server.port,
        tls=False,
        timeout_ms=5000,
    ) as client:
        for _ in range(count):
            await client.trigger("busy", "e", "x" * 10_000)
    await asyncio.wait_for(all_received.wait(), 10)
    # The stuck one was dropped as over capacity (4100) instead of holding anybody up.
    transport.resume_reading()
    async with asyncio.timeout(20):
        while not stuck.closed:
            await stuck.receive()
    assert stuck.close_code == 4100
    reader.cancel()
    await healthy.close()


@pytest.mark.parametrize(
    "frame_text",
    [
        '{"event":"client-x","channel":"private-a","data":{"n":1e400}}',
        '{"event":"pusher:subscribe","data":' + "[" * 50_000 + "]" * 50_000 + "}",
    ],
)
async def test_frames_json_cannot_carry_are_refused_not_crashed_on(
    server: LocalServer, http: aiohttp.ClientSession, frame_text: str
) -> None:
    ws = await raw(http, server)
    await frame(ws)
    await ws.send_str(frame_text)
    error = await frame(ws)
    assert error["event"] == "pusher:error"
    await ws.send_str('{"event":"pusher:ping","data":{}}')
    assert (await frame(ws))["event"] == "pusher:pong"
    await ws.close()
