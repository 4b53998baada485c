"""The HTTP API over real HTTP, requests signed with the project's own signing code."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from mesg_pusher._json import loads
from mesg_pusher.local_server import LocalServer, Subscriber

from .conftest import APP, OTHER_APP, api, signed_target


async def test_trigger_reaches_subscribers_and_answers_empty_object(
    server: LocalServer, http: aiohttp.ClientSession
) -> None:
    async with await Subscriber.connect(server.ws_url, APP.key) as sub:
        await sub.subscribe("news")
        status, text = await api(
            http, server, "POST", "/apps/42/events", {"name": "e", "channel": "news", "data": "hi"}
        )
        assert (status, text) == (200, "{}")
        event = await sub.next_event()
        assert (event.event, event.channel, event.data) == ("e", "news", "hi")


async def test_info_is_answered_from_subscription_state(
    server: LocalServer, http: aiohttp.ClientSession
) -> None:
    async with (
        await Subscriber.connect(server.ws_url, APP.key) as a,
        await Subscriber.connect(server.ws_url, APP.key) as b,
    ):
        await a.subscribe_signed("presence-room", APP, user_id="alice")
        await b.subscribe_signed("presence-room", APP, user_id="alice")
        await b.subscribe("news")
        payload = {
            "name": "e",
            "channels": ["presence-room", "news", "empty"],
            "data": "{}",
            "info": "subscription_count,user_count",
        }
        status, text = await api(http, server, "POST", "/apps/42/events", payload)
        assert status == 200
        assert loads(text) == {
            "channels": {
                "presence-room": {"subscription_count": 2, "user_count": 1},
                "news": {"subscription_count": 1},
                "empty": {"subscription_count": 0},
            }
        }
        batch = {
            "batch": [
                {"name": "e", "channel": "news", "data": "1", "info": "subscription_count"},
                {"name": "e", "channel": "news", "data": "2"},
            ]
        }
        status, text = await api(http, server, "POST", "/apps/42/batch_events", batch)
        assert (status, loads(text)) == (200, {"batch": [{"subscription_count": 1}, {}]})

        status, text = await api(
            http,
            server,
            "GET",
            "/apps/42/channels",
            params={"filter_by_prefix": "presence-", "info": "user_count"},
        )
        assert (status, loads(text)) == (200, {"channels": {"presence-room": {"user_count": 1}}})
        status, text = await api(http, server, "GET", "/apps/42/channels")
        assert loads(text) == {"channels": {"news": {}, "presence-room": {}}}
        status, text = await api(
            http,
            server,
            "GET",
            "/apps/42/channels/presence-room",
            params={"info": "user_count,subscription_count"},
        )
        assert loads(text) == {"occupied": True, "user_count": 1, "subscription_count": 2}
        status, text = await api(http, server, "GET", "/apps/42/channels/presence-room/users")
        assert loads(text) == {"users": [{"id": "alice"}]}
        status, text = await api(http, server, "GET", "/apps/42/channels/quiet")
        assert loads(text) == {"occupied": False}
        status, text = await api(
            http, server, "GET", "/apps/42/channels/cache-news", params={"info": "cache"}
        )
        assert (status, loads(text)) == (200, {"occupied": False, "cache": None})


async def test_info_refusals(server: LocalServer, http: aiohttp.ClientSession) -> None:
    status, text = await api(
        http, server, "GET", "/apps/42/channels", params={"info": "user_count"}
    )
    assert status == 400
    assert "presence-" in text
    status, text = await api(
        http, server, "GET", "/apps/42/channels/news", params={"info": "user_count"}
    )
    assert status == 400
    status, _ = await api(http, server, "GET", "/apps/42/channels/news/users")
    assert status == 400


async def test_apps_are_separate(server: LocalServer, http: aiohttp.ClientSession) -> None:
    async with await Subscriber.connect(server.ws_url, OTHER_APP.key) as sub:
        await sub.subscribe("news")
        event = {"name": "a", "channel": "news", "data": ""}
        await api(http, server, "POST", "/apps/42/events", event)
        await api(
            http,
            server,
            "POST",
            "/apps/43/events",
            {"name": "b", "channel": "news", "data": ""},
            app=OTHER_APP,
        )
        assert (await sub.next_event()).event == "b"
    # One app's credentials do not open another app.
    status, text = await api(
        http, server, "POST", "/apps/43/events", {"name": "b", "channel": "c", "data": ""}
    )
    assert (status, text) == (400, "Unknown auth_key\n")


async def test_unknown_app_and_path_are_404_in_plain_text(
    server: LocalServer, http: aiohttp.ClientSession
) -> None:
    status, text = await api(
        http, server, "POST", "/apps/99/events", {"name": "e", "channel": "c", "data": ""}
    )
    assert (status, text) == (404, "Unknown app_id: 99\n")
    async with http.get(server.url + "/apps/42/nothing") as answer:
        assert answer.status == 404
        assert answer.content_type == "text/plain"


async def test_errors_are_plain_text_with_pusher_status(
    server: LocalServer, http: aiohttp.ClientSession
) -> None:
    body = b'{"name":"e","channel":"c","data":"x"}'
    target = signed_target(APP, "POST", "/apps/42/events", body, timestamp=int(time.time()) - 700)
    async with http.post(server.url + target, data=body) as answer:
        assert answer.status == 401
        assert answer.content_type == "text/plain"
        assert (await answer.text()).startswith("Timestamp expired: Given timestamp")


async def test_keep_alive_serves_many_requests_on_one_connection(server: LocalServer) -> None:
    body = b'{"name":"e","channel":"c","data":"x"}'
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        for _ in range(3):
            target = signed_target(APP, "POST", "/apps/42/events", body)
            writer.write(
                f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            assert head.startswith(b"HTTP/1.1 200")
            assert b"connection: close" not in head.lower()
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            assert await reader.readexactly(length) == b"{}"
    finally:
        writer.close()
        await writer.wait_closed()


async def test_terminate_connections_closes_the_users_sockets(
    server: LocalServer, http: aiohttp.ClientSession
) -> None:
    async with (
        await Subscriber.connect(server.ws_url, APP.key) as user,
        await Subscriber.connect(server.ws_url, APP.key) as other,
    ):
        await user.signin(APP, {"id": "u-1"})
        await other.signin(APP, {"id": "u-2"})
        status, _ = await api(http, server, "POST", "/apps/42/users/u-1/terminate_connections", {})
        assert status == 200
        assert await user.wait_closed() == 4009
        await other.ping()  # untouched
        assert server.broker.state(APP).user_sockets("u-1") == []


async def test_server_to_user_channel_reaches_signed_in_sockets(
    server: LocalServer, http: aiohttp.ClientSession
) -> None:
    async with await Subscriber.connect(server.ws_url, APP.key) as user:
        await user.signin(APP, {"id": "u-9"})
        payload = {"name": "hello", "channel": "#server-to-user-u-9", "data": "x"}
        status, _ = await api(http, server, "POST", "/apps/42/events", payload)
        assert status == 200
        event = await user.next_event()
        assert (event.event, event.channel) == ("hello", "#server-to-user-u-9")
