"""Delivery scenarios with real counterparts: the service's own trigger and triggerBatch tasks
publish, pusher-js subscribers under Node.js receive. The same scenario runs against our local
server and against soketi, a third-party server, so the events are shown to reach subscribers
that this project did not write, through a server that it did not write either."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from mesg_pusher.local_server import LocalServer
from mesg_pusher.pusher import HttpPool
from mesg_pusher.tasks import SUCCESS, TaskRunner

from .conftest import APP, NodeProcess, Soketi, api, node_package

pytestmark = pytest.mark.integration

CHANNELS = ["news", "private-room", "presence-lobby"]


async def wait_for(
    process: NodeProcess, match: Callable[[dict[str, Any]], bool], within: float = 15.0
) -> dict[str, Any]:
    """The first line that `match`es; lines before it are skipped."""
    deadline = time.monotonic() + within
    while True:
        line = await process.next(max(deadline - time.monotonic(), 0.01))
        if line.get("type") == "fatal":
            pytest.fail(f"{process.name}: {line}")
        if match(line):
            return line


def event_on(channel: str, name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda line: line == {**line, "type": "event", "channel": channel, "event": name}


async def start_subscriber(port: int, auth_endpoint: str, user: str) -> tuple[NodeProcess, str]:
    node_package("pusher-js")
    process = await NodeProcess.start(
        "subscriber.js",
        {
            "host": "127.0.0.1",
            "port": port,
            "key": APP.key,
            "authEndpoint": f"{auth_endpoint}/channel/{user}",
            "channels": CHANNELS,
        },
    )
    connected = await process.expect("connected")
    subscribed: set[str] = set()
    while subscribed != set(CHANNELS):
        line = await wait_for(
            process, lambda line: line["type"] in {"subscribed", "subscription_error"}
        )
        if line["type"] == "subscription_error":
            pytest.fail(f"{user} could not subscribe: {line}")
        subscribed.add(line["channel"])
        if line["channel"] == "presence-lobby":
            assert line["members"]["me"] == user
    return process, connected["socket_id"]


async def delivery_scenario(port: int, auth_endpoint: str) -> None:
    http = HttpPool()
    runner = TaskRunner(http)
    common = {
        "appId": APP.app_id,
        "key": APP.key,
        "secret": APP.secret,
        "host": "127.0.0.1",
        "port": port,
    }
    alice, alice_socket = await start_subscriber(port, auth_endpoint, "alice")
    bob, _ = await start_subscriber(port, auth_endpoint, "bob")
    try:
        added = await wait_for(alice, lambda line: line["type"] == "member_added")
        assert (added["channel"], added["id"], added["info"]) == (
            "presence-lobby",
            "bob",
            {"name": "Bob"},
        )

        # trigger: public, private and presence channels, data as JSON and as text.
        for index, channel in enumerate(CHANNELS):
            output = await runner.execute(
                "trigger", {**common, "channel": channel, "name": "update", "data": {"n": index}}
            )
            assert output.key == SUCCESS, output.data
            for subscriber in (alice, bob):
                line = await wait_for(subscriber, event_on(channel, "update"))
                assert line["data"] == {"n": index}

        # socket_id exclusion: alice sent it, so only bob gets it.
        output = await runner.execute(
            "trigger",
            {
                **common,
                "channels": ["news"],
                "name": "echo",
                "data": {"x": 1},
                "socket_id": alice_socket,
            },
        )
        assert output.key == SUCCESS, output.data
        await wait_for(bob, event_on("news", "echo"))
        await runner.execute(
            "trigger", {**common, "channel": "news", "name": "after", "data": {"y": 2}}
        )
        next_on_news = await wait_for(
            alice, lambda line: line.get("type") == "event" and line["channel"] == "news"
        )
        assert next_on_news["event"] == "after"

        # triggerBatch: one event per channel in one call.
        batch = [{"channel": c, "name": "batched", "data": {"on": c}} for c in CHANNELS]
        output = await runner.execute("triggerBatch", {**common, "batch": batch})
        assert output.key == SUCCESS, output.data
        for subscriber in (alice, bob):
            for channel in CHANNELS:
                assert (await wait_for(subscriber, event_on(channel, "batched")))["data"] == {
                    "on": channel
                }

        # A client event from one pusher-js reaches the other, not its sender.
        await alice.send(
            {
                "cmd": "client_event",
                "channel": "private-room",
                "event": "client-typing",
                "data": {"a": 1},
            }
        )
        assert (await alice.expect("client_event_sent"))["ok"] is True
        relayed = await wait_for(bob, event_on("private-room", "client-typing"))
        assert relayed["data"] == {"a": 1}

        # Bob leaves: alice sees the member go.
        await bob.send({"cmd": "quit"})
        removed = await wait_for(alice, lambda line: line["type"] == "member_removed", 30)
        assert (removed["channel"], removed["id"]) == ("presence-lobby", "bob")
    finally:
        await alice.stop()
        await bob.stop()
        await http.close()


async def test_delivery_through_the_local_server(server: LocalServer, auth_endpoint: str) -> None:
    await delivery_scenario(server.port, auth_endpoint)


async def test_delivery_through_soketi(soketi: Soketi, auth_endpoint: str) -> None:
    await delivery_scenario(soketi.port, auth_endpoint)


async def test_pusher_js_user_signin_and_server_to_user_events(
    server: LocalServer, auth_endpoint: str, http: aiohttp.ClientSession
) -> None:
    process = await NodeProcess.start(
        "subscriber.js",
        {
            "host": "127.0.0.1",
            "port": server.port,
            "key": APP.key,
            "userAuthEndpoint": f"{auth_endpoint}/user/carol",
            "channels": [],
        },
    )
    try:
        await process.expect("connected")
        await process.send({"cmd": "signin"})
        # pusher-js follows a sign-in with its own subscription to the user's channel, which
        # the server accepts as Pusher does; nothing is refused.
        subscribed = await wait_for(process, lambda line: line["type"] == "user_subscribed")
        assert subscribed["channel"] == "#server-to-user-carol"
        assert server.broker.state(APP).user_sockets("carol") != []
        assert not [line for line in process.lines if line["type"] == "connection_error"]
        assert not [
            entry for entry in server.broker.debug.history if entry.get("action") == "refused"
        ]
        payload = {"name": "greeting", "channel": "#server-to-user-carol", "data": '{"hi":1}'}
        assert (await api(http, server, "POST", "/apps/42/events", payload))[0] == 200
        assert (await process.expect("user_event"))["data"] == {"hi": 1}
        status, _ = await api(http, server, "POST", "/apps/42/users/carol/terminate_connections")
        assert status == 200
        await wait_for(process, lambda line: line.get("current") == "disconnected")
    finally:
        await process.stop()
