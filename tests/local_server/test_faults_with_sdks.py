"""The official SDKs (PyPI ``pusher`` 3.3.4 and npm ``pusher`` 5.3.4) meeting each HTTP fault
the local server injects on demand, and its 403s: what each SDK reports, whether the event was
published anyway (a reset after reading publishes and loses the answer; a slow answer publishes
late), and the mark the debug console puts on the call."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pusher
import pusher.errors
import pytest
import requests

from mesg_pusher.local_server import Fault, LocalServer, ServerSettings, Subscriber
from mesg_pusher.local_server._fault_injection import (
    HTTP_500,
    HTTP_503,
    RESET_AFTER_READ,
    RESET_BEFORE_READ,
    SLOW_ANSWER,
)

from .conftest import APP, NodeProcess, node_package

pytestmark = pytest.mark.integration

CHANNEL = "sdk-faults"
#: The SDKs' own timeouts (long enough that only the slow answer outlasts them on a loaded
#: machine), and the slow answer.
SDK_TIMEOUT_MS = 3000
SLOW_MS = 4500


def python_sdk(server: LocalServer) -> pusher.Pusher:
    return pusher.Pusher(
        app_id=APP.app_id,
        key=APP.key,
        secret=APP.secret,
        host="127.0.0.1",
        port=server.port,
        ssl=False,
        timeout=SDK_TIMEOUT_MS / 1000,
    )


async def python_trigger(server: LocalServer, name: str) -> BaseException | None:
    """What the Python SDK raises for one trigger (None when it succeeds)."""
    client = python_sdk(server)
    try:
        await asyncio.to_thread(client.trigger, CHANNEL, name, {"from": "python"})
    except Exception as error:
        return error
    return None


async def node_trigger(server: LocalServer, name: str) -> dict[str, Any]:
    """What the Node SDK reports for one trigger: status, error body and cause."""
    node_package("pusher")
    config = {
        "appId": APP.app_id,
        "key": APP.key,
        "secret": APP.secret,
        "host": "127.0.0.1",
        "port": server.port,
        "timeout": SDK_TIMEOUT_MS,
        "calls": [{"trigger": {"channels": [CHANNEL], "event": name, "data": {"from": "node"}}}],
    }
    process = await NodeProcess.start("trigger.js", config)
    try:
        result = await process.expect("result", within=30)
        assert await process.finish() == 0
        return result
    finally:
        await process.stop()


@pytest.fixture
async def console() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def marker(http: aiohttp.ClientSession, server: LocalServer) -> None:
    """A test event through the debug console, which no HTTP fault touches: a subscriber gets
    whatever was published before it first."""
    form = {"app": APP.app_id, "channel": CHANNEL, "event": "marker", "data": "{}"}
    async with http.post(server.url + "/debug/trigger", json=form) as answer:
        assert answer.status == 200


async def published(sub: Subscriber, http: aiohttp.ClientSession, server: LocalServer) -> list[str]:
    """The events `sub` got before a marker sent now."""
    await marker(http, server)
    names = []
    while (event := await sub.next_event(within=15)).event != "marker":
        names.append(event.event)
    return names


def faulted(kind: str, **more: Any) -> LocalServer:
    ms = SLOW_MS if kind == SLOW_ANSWER else 0
    settings = ServerSettings(apps=(APP,), faults=(Fault(kind, 1.0, ms),), **more)
    return LocalServer(settings)


@pytest.mark.parametrize("kind", [HTTP_500, HTTP_503])
async def test_5xx_answers_reach_both_sdks_and_publish_nothing(
    kind: str, console: aiohttp.ClientSession
) -> None:
    status = int(kind.removeprefix("http-"))
    text = {500: "Internal Server Error", 503: "Service Unavailable"}[status]
    async with faulted(kind) as server, await Subscriber.connect(server.ws_url, APP.key) as sub:
        await sub.subscribe(CHANNEL)
        error = await python_trigger(server, "from-python")
        assert isinstance(error, pusher.errors.PusherBadStatus)
        assert str(error) == f"{status}: {text}\n"
        node = await node_trigger(server, "from-node")
        assert (node["status"], node["error"]) == (status, f"{text}\n")
        assert await published(sub, console, server) == []
        marks = [e for e in server.broker.debug.history if e.get("fault") == kind]
        assert [e["status"] for e in marks] == [status, status]


async def test_a_reset_before_reading_fails_both_and_publishes_nothing(
    console: aiohttp.ClientSession,
) -> None:
    async with (
        faulted(RESET_BEFORE_READ) as server,
        await Subscriber.connect(server.ws_url, APP.key) as sub,
    ):
        await sub.subscribe(CHANNEL)
        error = await python_trigger(server, "from-python")
        assert isinstance(error, requests.exceptions.ConnectionError), repr(error)
        node = await node_trigger(server, "from-node")
        assert node["status"] is None
        assert node["cause"].startswith("FetchError:"), node
        assert await published(sub, console, server) == []
        marks = [e for e in server.broker.debug.history if e.get("fault") == RESET_BEFORE_READ]
        assert len(marks) == 2
        assert all(e["status"] is None and "nothing was published" in e["message"] for e in marks)


async def test_a_reset_after_reading_fails_both_but_publishes(
    console: aiohttp.ClientSession,
) -> None:
    async with (
        faulted(RESET_AFTER_READ) as server,
        await Subscriber.connect(server.ws_url, APP.key) as sub,
    ):
        await sub.subscribe(CHANNEL)
        error = await python_trigger(server, "from-python")
        assert isinstance(error, requests.exceptions.ConnectionError), repr(error)
        node = await node_trigger(server, "from-node")
        assert node["status"] is None
        assert node["cause"].startswith("FetchError:"), node
        # Both SDKs saw a failure; both events reached the subscriber all the same.
        assert await published(sub, console, server) == ["from-python", "from-node"]
        marks = [e for e in server.broker.debug.history if e.get("fault") == RESET_AFTER_READ]
        assert [e["events"][0]["name"] for e in marks] == ["from-python", "from-node"]


async def test_a_slow_answer_times_both_out_and_publishes_late(
    console: aiohttp.ClientSession,
) -> None:
    async with (
        faulted(SLOW_ANSWER) as server,
        await Subscriber.connect(server.ws_url, APP.key) as sub,
    ):
        await sub.subscribe(CHANNEL)
        error = await python_trigger(server, "from-python")
        assert isinstance(error, requests.exceptions.Timeout), repr(error)
        node = await node_trigger(server, "from-node")
        assert node["status"] is None
        assert node["cause"].startswith("AbortError:"), node
        # The calls waited out their delay and published, though neither SDK heard of it.
        first = [(await sub.next_event(within=15)).event for _ in range(2)]
        assert sorted(first) == ["from-node", "from-python"]
        marks = [e for e in server.broker.debug.history if e.get("fault") == SLOW_ANSWER]
        assert [e["status"] for e in marks] == [200, 200]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"disabled": frozenset({APP.app_id})}, "Application disabled"),
        ({"quota": 1}, "API call failed since (daily) message quota exceeded"),
    ],
    ids=["disabled", "over-quota"],
)
async def test_403_reaches_both_sdks(options: dict[str, Any], message: str) -> None:
    async with LocalServer(ServerSettings(apps=(APP,), **options)) as server:
        if "quota" in options:  # one call uses the day's one message
            assert await python_trigger(server, "first") is None
        error = await python_trigger(server, "from-python")
        assert isinstance(error, pusher.errors.PusherForbidden)
        assert str(error) == message + "\n"
        node = await node_trigger(server, "from-node")
        assert (node["status"], node["error"]) == (403, message + "\n")
