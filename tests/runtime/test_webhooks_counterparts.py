"""Real senders meet ``serve`` run as the engine runs it (a process with the app's credentials in
its environment): soketi, a third-party Pusher server, posts its own signed webhooks for what
pusher-js does under Node.js, and so does the local server for a subscriber; each event reaches
the engine stand-in's ListenEvent once, with the right data."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from mesg_pusher.engine import CoreClient, Engine, EngineServer, Events
from mesg_pusher.local_server import AppOptions, LocalServer, ServerSettings, Subscriber
from mesg_pusher.pusher import App, webhook_signature
from tests.local_server.conftest import (
    APP,
    NodeProcess,
    auth_endpoint,  # noqa: F401 - a fixture, used by name
    node_package,
    running_soketi,
)
from tests.runtime.conftest import WAIT, until
from tests.runtime.test_process import ServeProcess, engine_env, serve

pytestmark = pytest.mark.integration

WEBHOOKS_LINE = re.compile(r"listening for webhooks webhooks=(http://127\.0\.0\.1:\d+/webhooks)")
#: Time given to a sender to send anything more (a duplicate) once the events have arrived.
QUIET = 0.5


@asynccontextmanager
async def serving_webhooks(
    tmp_path: Path, server: EngineServer, app: App, **more_env: str
) -> AsyncIterator[tuple[ServeProcess, str]]:
    """``serve`` with `app`'s key and secret in its environment (and `more_env`); it and its
    webhook URL."""
    env = {
        **engine_env(server),
        "PUSHER_APP_KEY": app.key,
        "PUSHER_APP_SECRET": app.secret,
        **more_env,
    }
    async with serve(tmp_path, env) as process:
        try:
            await until(lambda: WEBHOOKS_LINE.search(process.log()) is not None)
            await until(lambda: server.engine.task_listeners() >= 1)
        except TimeoutError:
            raise AssertionError(f"serve did not start; its log:\n{process.log()}") from None
        found = WEBHOOKS_LINE.search(process.log())
        assert found is not None
        yield process, found.group(1)
        if process.process.returncode is None:
            process.send(signal.SIGTERM)
            assert await process.exit_status() == 0, process.log()
    assert app.secret not in process.log()


async def settled(events: Events, count: int) -> list[tuple[str, dict[str, Any]]]:
    """The events once `count` have arrived and nothing more came for a moment."""
    async with asyncio.timeout(WAIT):
        await events.wait_count(count)
    await asyncio.sleep(QUIET)
    return events.data()


def without_time(events: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """The events with their ``time_ms`` checked (a recent number) and left out."""
    shown = []
    for key, data in events:
        stamp = data.pop("time_ms")
        assert isinstance(stamp, int)
        assert stamp > 1_700_000_000_000
        shown.append((key, data))
    return shown


def by_key(events: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    return sorted(events, key=lambda item: json.dumps(item, sort_keys=True))


async def test_soketi_webhooks_become_events_once_each(
    tmp_path: Path,
    auth_endpoint: str,  # noqa: F811 - the fixture
) -> None:
    node_package("pusher-js")
    async with (
        EngineServer(Engine()) as server,
        CoreClient(server.address) as core,
        core.listen_events(server.token) as events,
        serving_webhooks(tmp_path, server, APP) as (process, url),
    ):
        kinds = ["channel_occupied", "channel_vacated", "member_added", "member_removed"]
        webhooks = json.dumps([{"url": url, "event_types": [*kinds, "client_event"]}])
        async with running_soketi(tmp_path, SOKETI_DEFAULT_APP_WEBHOOKS=webhooks) as soketi:
            client = await NodeProcess.start(
                "subscriber.js",
                {
                    "host": "127.0.0.1",
                    "port": soketi.port,
                    "key": APP.key,
                    "authEndpoint": f"{auth_endpoint}/channel/ada",
                    "channels": [],
                },
            )
            try:
                socket_id = (await client.expect("connected"))["socket_id"]
                await client.send({"cmd": "subscribe", "channel": "presence-room"})
                await client.expect("subscribed")
                async with asyncio.timeout(WAIT):
                    await events.wait_count(2)
                await client.send(
                    {
                        "cmd": "client_event",
                        "channel": "presence-room",
                        "event": "client-hello",
                        "data": {"hi": "there", "n": 1},
                    }
                )
                assert (await client.expect("client_event_sent"))["ok"] is True
                async with asyncio.timeout(WAIT):
                    await events.wait_count(3)
                await client.send({"cmd": "unsubscribe", "channel": "presence-room"})
                received = await settled(events, 5)
            finally:
                await client.stop()
        log = process.log()
    # soketi posts each event on its own, concurrently: their order is not kept by the sender.
    room = {"channel": "presence-room", "app_key": APP.key}
    assert by_key(without_time(received)) == by_key(
        [
            ("channel_occupied", room),
            ("member_added", {**room, "user_id": "ada"}),
            (
                "client_event",
                {
                    **room,
                    "event": "client-hello",
                    # soketi passes the client's object on: its compact JSON, as Pusher sends it.
                    "data": '{"hi":"there","n":1}',
                    "socket_id": socket_id,
                    "user_id": "ada",
                },
            ),
            ("member_removed", {**room, "user_id": "ada"}),
            ("channel_vacated", room),
        ]
    )
    assert log.count(f"info webhook key={APP.key} events=1 outcome=accepted status=200") == 5


async def test_the_local_servers_webhooks_reach_serve(tmp_path: Path) -> None:
    async with (
        EngineServer(Engine()) as server,
        CoreClient(server.address) as core,
        core.listen_events(server.token) as events,
        serving_webhooks(tmp_path, server, APP) as (_, url),
    ):
        settings = ServerSettings(
            apps=(APP,),
            app_options={APP.app_id: AppOptions(client_events=True)},
            webhooks=(url,),
            webhook_delay=0.2,
            webhook_batch_window=0.05,
        )
        async with (
            LocalServer(settings) as local,
            await Subscriber.connect(local.ws_url, APP.key) as subscriber,
            await Subscriber.connect(local.ws_url, APP.key) as other,
        ):
            await subscriber.subscribe_signed("presence-room", APP, user_id="bo")
            await other.subscribe_signed("presence-room", APP, user_id="cy")
            async with asyncio.timeout(WAIT):
                await events.wait_count(3)
            await subscriber.trigger("presence-room", "client-wave", {"x": 1})
            async with asyncio.timeout(WAIT):
                await events.wait_count(4)
            await other.unsubscribe("presence-room")
            async with asyncio.timeout(WAIT):  # two connections: one after the other
                await events.wait_count(5)
            await subscriber.unsubscribe("presence-room")
            received = await settled(events, 7)
    room = {"channel": "presence-room", "app_key": APP.key}
    assert without_time(received) == [
        ("channel_occupied", room),
        ("member_added", {**room, "user_id": "bo"}),
        ("member_added", {**room, "user_id": "cy"}),
        (
            "client_event",
            {
                **room,
                "event": "client-wave",
                "data": '{"x":1}',
                "socket_id": subscriber.socket_id,
                "user_id": "bo",
            },
        ),
        ("member_removed", {**room, "user_id": "cy"}),
        ("member_removed", {**room, "user_id": "bo"}),
        ("channel_vacated", room),
    ]


async def post(http: aiohttp.ClientSession, url: str, body: bytes) -> tuple[int, Any]:
    headers = {"X-Pusher-Key": APP.key, "X-Pusher-Signature": webhook_signature(APP.secret, body)}
    async with asyncio.timeout(WAIT), http.post(url, data=body, headers=headers) as answer:
        return answer.status, await answer.json()


def occupied(channel: str) -> bytes:
    event = {"name": "channel_occupied", "channel": channel}
    return json.dumps({"time_ms": int(time.time() * 1000), "events": [event]}).encode()


async def test_sigterm_finishes_the_webhooks_in_flight_and_answers_new_ones_503(
    tmp_path: Path,
) -> None:
    engine = Engine()
    async with (
        EngineServer(engine) as server,
        serving_webhooks(tmp_path, server, APP) as (process, url),
        aiohttp.ClientSession() as http,
    ):
        engine.freeze()
        in_flight = asyncio.create_task(post(http, url, occupied("in-flight")))
        await until(lambda: engine.held == 1)  # its EmitEvent is held by the frozen engine
        process.send(signal.SIGTERM)
        await until(lambda: "received SIGTERM" in process.log())
        assert await post(http, url, occupied("late")) == (
            503,
            {"error": "the service is stopping; retry later"},
        )
        engine.thaw()
        assert await in_flight == (200, {})
        assert await process.exit_status() == 0, process.log()
    assert [json.loads(e.event_data)["channel"] for e in engine.emitted()] == ["in-flight"]
