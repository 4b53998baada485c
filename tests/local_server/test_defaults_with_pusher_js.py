"""Pusher's per-app defaults and limits as pusher-js 8.6 meets them under Node.js: client events
refused until the app switches them on, the 11th client event in a second refused with 4301,
connections of a user-auth app closed with 4009 unless they sign in, and
``pusher_internal:subscription_count`` handed to the channel's ``pusher:subscription_count``
binders of a subscription-count app."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest

from mesg_pusher.local_server import AppOptions, LocalServer, ServerSettings
from mesg_pusher.local_server import _protocol as protocol

from .conftest import APP, NodeProcess, api, node_package

pytestmark = pytest.mark.integration

ROOM = "private-room"


class Clock:
    """The server's wall clock, moved by the test: client events in one burst fall in one
    second of it whatever the machine's load."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def serving(options: AppOptions, clock: Clock | None = None, **more: Any) -> LocalServer:
    settings = ServerSettings(apps=(APP,), app_options={APP.app_id: options}, **more)
    return LocalServer(settings, clock=clock or time.time)


@asynccontextmanager
async def pusher_js(
    server: LocalServer, auth_endpoint: str, user: str, channels: list[str], **more: Any
) -> AsyncIterator[NodeProcess]:
    node_package("pusher-js")
    config = {
        "host": "127.0.0.1",
        "port": server.port,
        "key": APP.key,
        "authEndpoint": f"{auth_endpoint}/channel/{user}",
        "userAuthEndpoint": f"{auth_endpoint}/user/{user}",
        "channels": channels,
        **more,
    }
    process = await NodeProcess.start("subscriber.js", config)
    try:
        await process.expect("connected")
        for _ in channels:
            await until_line(process, lambda line: line["type"] == "subscribed")
        yield process
    finally:
        await process.stop()


async def until_line(
    process: NodeProcess, match: Callable[[dict[str, Any]], bool], within: float = 20.0
) -> dict[str, Any]:
    """The first line that `match`es (lines before it are kept in `process.lines`)."""
    deadline = time.monotonic() + within
    while True:
        line = await process.next(max(deadline - time.monotonic(), 0.01))
        if line.get("type") == "fatal":
            pytest.fail(f"{process.name}: {line}")
        if match(line):
            return line


def is_event(name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda line: line.get("type") == "event" and line.get("event") == name


def is_error(code: int | None) -> Callable[[dict[str, Any]], bool]:
    return lambda line: (
        line.get("type") == "connection_error"
        and isinstance(line.get("error"), dict)
        and line["error"].get("code") == code
    )


async def marker(http: aiohttp.ClientSession, server: LocalServer) -> None:
    """An API event on ROOM: whatever a subscriber gets before it was sent before it."""
    event = {"name": "marker", "channel": ROOM, "data": "{}"}
    assert (await api(http, server, "POST", "/apps/42/events", event))[0] == 200


async def test_client_events_are_refused_until_the_app_enables_them(
    auth_endpoint: str, http: aiohttp.ClientSession
) -> None:
    async with (
        serving(AppOptions()) as server,
        pusher_js(server, auth_endpoint, "alice", [ROOM]) as alice,
        pusher_js(server, auth_endpoint, "bob", [ROOM]) as bob,
    ):
        await alice.send(
            {"cmd": "client_event", "channel": ROOM, "event": "client-typing", "data": {"a": 1}}
        )
        refused = await until_line(alice, is_error(None))
        assert refused["error"]["message"] == protocol.CLIENT_EVENTS_OFF
        await marker(http, server)
        first = await until_line(bob, lambda line: line.get("type") == "event")
        assert first["event"] == "marker"  # the client event never reached bob
    async with (
        serving(AppOptions(client_events=True)) as server,
        pusher_js(server, auth_endpoint, "alice", [ROOM]) as alice,
        pusher_js(server, auth_endpoint, "bob", [ROOM]) as bob,
    ):
        await alice.send(
            {"cmd": "client_event", "channel": ROOM, "event": "client-typing", "data": {"a": 1}}
        )
        relayed = await until_line(bob, is_event("client-typing"))
        assert relayed["data"] == {"a": 1}


async def test_the_eleventh_client_event_in_a_second_gets_4301(
    auth_endpoint: str, http: aiohttp.ClientSession
) -> None:
    clock = Clock()
    async with (
        serving(AppOptions(client_events=True), clock) as server,
        pusher_js(server, auth_endpoint, "alice", [ROOM]) as alice,
        pusher_js(server, auth_endpoint, "bob", [ROOM]) as bob,
    ):
        await alice.send(
            {"cmd": "client_events", "channel": ROOM, "event": "client-n", "count": 11}
        )
        assert (await alice.expect("client_events_sent"))["ok"] is True
        limited = await until_line(alice, is_error(4301))
        assert limited["error"]["message"] == "Client event rejected due to rate limit"
        await marker(http, server)
        received = []
        while (line := await until_line(bob, lambda line: line.get("type") == "event"))[
            "event"
        ] != "marker":
            received.append(line["data"]["n"])
        assert received == list(range(10))
        # The connection stays up, and a second later the limit has room again.
        assert not [line for line in alice.lines if line.get("type") == "state"][2:]
        clock.now += 1.0
        await alice.send(
            {"cmd": "client_event", "channel": ROOM, "event": "client-n", "data": {"n": 11}}
        )
        assert (await until_line(bob, is_event("client-n")))["data"] == {"n": 11}


async def test_a_user_auth_app_closes_connections_that_do_not_sign_in(
    auth_endpoint: str, http: aiohttp.ClientSession
) -> None:
    timeout = 3.0  # a sign-in takes far less, even on a loaded machine
    async with (
        serving(AppOptions(user_auth=True), signin_timeout=timeout) as server,
        pusher_js(server, auth_endpoint, "ada", []) as signed,
    ):
        await signed.send({"cmd": "signin"})
        await signed.expect("user_subscribed")
        async with pusher_js(server, auth_endpoint, "bo", []) as silent:
            error = await until_line(silent, is_error(4009), within=timeout + 20)
            assert error["error"]["message"] == "Connection not authorized within timeout"
            # 4009 is in Pusher's range of codes after which pusher-js does not reconnect.
            await until_line(silent, lambda line: line.get("current") == "disconnected")
        # The signed-in connection, older than the one closed, is still there.
        event = {"name": "greeting", "channel": "#server-to-user-ada", "data": '{"hi":1}'}
        assert (await api(http, server, "POST", "/apps/42/events", event))[0] == 200
        assert (await signed.expect("user_event"))["data"] == {"hi": 1}


async def test_subscription_counts_reach_pusher_js_binders(auth_endpoint: str) -> None:
    async with (
        serving(AppOptions(subscription_count=True)) as server,
        pusher_js(server, auth_endpoint, "alice", ["news"]) as alice,
    ):
        first = await until_line(alice, lambda line: line.get("type") == "subscription_count")
        assert (first["channel"], first["count"]) == ("news", 1)
        async with pusher_js(server, auth_endpoint, "bob", ["news"]) as bob:
            both = await until_line(bob, lambda line: line.get("type") == "subscription_count")
            assert both["count"] == 2
            grown = await until_line(alice, lambda line: line.get("type") == "subscription_count")
            assert grown["count"] == 2
            await bob.send({"cmd": "unsubscribe", "channel": "news"})
            shrunk = await until_line(alice, lambda line: line.get("type") == "subscription_count")
            assert shrunk["count"] == 1


async def test_without_the_option_pusher_js_gets_no_counts(
    auth_endpoint: str, http: aiohttp.ClientSession
) -> None:
    async with (
        serving(AppOptions()) as server,
        pusher_js(server, auth_endpoint, "alice", [ROOM]) as alice,
    ):
        await marker(http, server)
        await until_line(alice, is_event("marker"))
        assert not [line for line in alice.lines if line.get("type") == "subscription_count"]
