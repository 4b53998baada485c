"""Kinds, retries, raised limits and split calls against real servers: the local server's
injected faults and 403s (each kind and retry where it should be; what was published counted by
a subscriber), and soketi, a third-party server, where the limits and the order of split calls
matter. Each fault fires where the test says: its seed is found for the pattern of draws the
test needs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from mesg_pusher.local_server import Fault, LocalServer, ServerSettings, Subscriber
from mesg_pusher.local_server._fault_injection import (
    HTTP_500,
    HTTP_503,
    RESET_AFTER_READ,
    RESET_BEFORE_READ,
    SLOW_ANSWER,
    FaultDraws,
)
from mesg_pusher.pusher import HttpPool
from mesg_pusher.tasks import TaskOutput, TaskRunner
from tests.local_server.conftest import APP, running_soketi
from tests.runtime.conftest import until
from tests.support.processes import free_port

pytestmark = pytest.mark.integration

CHANNEL = "kinds"


def seed_for(kind: str, fires: list[bool]) -> int:
    """A seed whose draws for `kind` at rate 0.5 fire as `fires` says, call by call."""
    for seed in range(100_000):
        draws = FaultDraws([Fault(kind, 0.5)], seed)
        if [draws.draw(kind) is not None for _ in fires] == fires:
            return seed
    raise AssertionError("no such seed")  # pragma: no cover - 1 in 2**len(fires) seeds match


def local(*faults: Fault, seed: int = 0, **settings: Any) -> LocalServer:
    return LocalServer(ServerSettings(apps=(APP,), faults=faults, fault_seed=seed, **settings))


@pytest.fixture
async def runner() -> AsyncIterator[TaskRunner]:
    http = HttpPool()
    yield TaskRunner(http)
    await http.close()


def inputs(port: int, **more: Any) -> dict[str, Any]:
    return {
        "appId": APP.app_id,
        "key": APP.key,
        "secret": APP.secret,
        "host": "127.0.0.1",
        "port": port,
        "channel": CHANNEL,
        "name": "the-event",
        "data": {"n": 1},
        **more,
    }


def batch(port: int, count: int, **more: Any) -> dict[str, Any]:
    base = {k: v for k, v in inputs(port).items() if k not in ("channel", "name", "data")}
    events = [{"name": f"e{i}", "channel": CHANNEL, "data": {"i": i}} for i in range(count)]
    return {**base, "batch": events, **more}


async def published(sub: Subscriber, server: LocalServer) -> list[str]:
    """The events `sub` got before a marker sent now, through the debug console (no fault
    touches it): whatever was published, late ones included, came before it."""
    form = {"app": APP.app_id, "channel": CHANNEL, "event": "marker", "data": "{}"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(server.url + "/debug/trigger", json=form) as answer,
    ):
        assert answer.status == 200
    names = []
    while (event := await sub.next_event(within=15)).event != "marker":
        names.append(event.event)
    return names


def calls(server: LocalServer) -> list[Any]:
    """The status of each HTTP API call the server saw (None for a reset), in order."""
    history = server.broker.debug.history
    return [e.get("status") for e in history if e["kind"] == "api" and e["source"] == "api"]


def said(output: TaskOutput) -> tuple[str, str, Any]:
    return output.data["kind"], output.data["retry"], output.data.get("status")


async def test_a_503_is_tried_again_and_publishes_once(runner: TaskRunner) -> None:
    seed = seed_for(HTTP_503, [True, False])
    async with (
        local(Fault(HTTP_503, 0.5), seed=seed) as server,
        await Subscriber.connect(server.ws_url, APP.key) as sub,
    ):
        await sub.subscribe(CHANNEL)
        output = await runner.execute("trigger", inputs(server.port))
        assert output == TaskOutput.success()
        assert await published(sub, server) == ["the-event"]
        assert calls(server) == [503, 200]


@pytest.mark.parametrize(
    ("fault", "expected", "was_published"),
    [
        (Fault(HTTP_500), ("server", "unsafe", 500), []),
        (Fault(RESET_BEFORE_READ), ("network", "unsafe", None), []),  # the client cannot tell
        (Fault(RESET_AFTER_READ), ("network", "unsafe", None), ["the-event"]),
        (Fault(SLOW_ANSWER, 1.0, 4500), ("timeout", "unsafe", None), ["the-event"]),
    ],
    ids=["http-500", "reset-before-read", "reset-after-read", "slow-answer"],
)
async def test_an_unsafe_failure_without_a_key_is_sent_once(
    runner: TaskRunner, fault: Fault, expected: tuple[str, str, Any], was_published: list[str]
) -> None:
    async with local(fault) as server, await Subscriber.connect(server.ws_url, APP.key) as sub:
        await sub.subscribe(CHANNEL)
        # Long enough that only the slow answer outlasts it on a loaded machine.
        output = await runner.execute("trigger", inputs(server.port, timeout=3000))
        assert said(output) == expected
        assert "tries)" not in output.data["error"]  # one try
        await until(lambda: len(calls(server)) == 1)  # a slow one is handled late
        assert await published(sub, server) == was_published
        assert len(calls(server)) == 1


async def test_with_a_key_a_reset_before_reading_is_tried_again_and_publishes_once(
    runner: TaskRunner,
) -> None:
    seed = seed_for(RESET_BEFORE_READ, [True, False])
    async with (
        local(Fault(RESET_BEFORE_READ, 0.5), seed=seed) as server,
        await Subscriber.connect(server.ws_url, APP.key) as sub,
    ):
        await sub.subscribe(CHANNEL)
        output = await runner.execute("trigger", inputs(server.port, idempotencyKey="order-1"))
        assert output == TaskOutput.success()
        assert await published(sub, server) == ["the-event"]
        assert len(calls(server)) == 2


async def test_retries_0_sends_once(runner: TaskRunner) -> None:
    async with local(Fault(HTTP_503)) as server:
        output = await runner.execute("trigger", inputs(server.port, retries=0))
        assert said(output) == ("server", "safe", 503)
        assert calls(server) == [503]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"disabled": frozenset({APP.app_id})}, "Application disabled"),
        ({"quota": 1}, "API call failed since (daily) message quota exceeded"),
    ],
    ids=["disabled", "over-quota"],
)
async def test_a_403_is_forbidden_and_useless(
    runner: TaskRunner, settings: dict[str, Any], message: str
) -> None:
    async with local(**settings) as server:
        if "quota" in settings:  # the day's one message
            assert (await runner.execute("trigger", inputs(server.port))).key == "success"
        output = await runner.execute("trigger", inputs(server.port, idempotencyKey="k"))
        assert said(output) == ("forbidden", "useless", 403)
        assert output.data["error"] == f"Pusher answered 403 Forbidden: {message}"


async def test_a_wrong_secret_is_auth_and_useless(runner: TaskRunner) -> None:
    async with local() as server:
        output = await runner.execute("trigger", inputs(server.port, secret="not-the-secret"))
        assert said(output) == ("auth", "useless", 401)
        assert len(calls(server)) == 1


async def test_raised_limits_meet_the_servers_own(runner: TaskRunner) -> None:
    data = {"text": "x" * 15_000}
    async with local(max_data_bytes=20_480) as roomy, local() as strict:
        # A server that takes more: the raised limit lets the event through.
        output = await runner.execute("trigger", inputs(roomy.port, data=data, maxDataBytes=20_480))
        assert output == TaskOutput.success()
        # One that does not: its 413 comes back as too_large, with the size sent.
        output = await runner.execute(
            "trigger", inputs(strict.port, data=data, maxDataBytes=20_480)
        )
        assert said(output) == ("too_large", "useless", 413)
        assert output.data["dataBytes"] == 15_011
        assert output.data["error"].endswith("(the largest event data sent was 15011 bytes)")


async def test_a_refused_connection_is_safe_and_tried_again(runner: TaskRunner) -> None:
    port = free_port()
    output = await runner.execute("trigger", inputs(port))
    assert said(output) == ("network", "safe", None)
    assert output.data["error"].endswith("Connection refused (after 3 tries)")


async def test_a_split_batch_of_25_arrives_in_order_once_each(runner: TaskRunner) -> None:
    async with local() as server, await Subscriber.connect(server.ws_url, APP.key) as sub:
        await sub.subscribe(CHANNEL)
        output = await runner.execute("triggerBatch", batch(server.port, 25, split=True))
        assert output.data == {"message": "sent", "calls": 3}
        assert await published(sub, server) == [f"e{i}" for i in range(25)]
    async with (
        local(max_batch_events=20) as server,
        await Subscriber.connect(server.ws_url, APP.key) as sub,
    ):
        await sub.subscribe(CHANNEL)
        output = await runner.execute(
            "triggerBatch", batch(server.port, 25, split=True, maxBatchEvents=20)
        )
        assert output.data == {"message": "sent", "calls": 2}
        assert await published(sub, server) == [f"e{i}" for i in range(25)]


async def test_a_split_batch_failing_part_way_says_what_went_out(runner: TaskRunner) -> None:
    seed = seed_for(HTTP_500, [False, True])
    async with (
        local(Fault(HTTP_500, 0.5), seed=seed) as server,
        await Subscriber.connect(server.ws_url, APP.key) as sub,
    ):
        await sub.subscribe(CHANNEL)
        output = await runner.execute("triggerBatch", batch(server.port, 25, split=True))
        assert said(output) == ("server", "unsafe", 500)
        assert output.data["published"] == 10
        assert await published(sub, server) == [f"e{i}" for i in range(10)]
        assert calls(server) == [200, 500]


async def test_a_split_channel_list_reaches_every_channel_once(runner: TaskRunner) -> None:
    names = [f"room-{i}" for i in range(250)]
    watched = ["room-0", "room-99", "room-100", "room-249"]
    async with local() as server, await Subscriber.connect(server.ws_url, APP.key) as sub:
        for name in [*watched, CHANNEL]:  # CHANNEL: the marker's
            await sub.subscribe(name)
        output = await runner.execute(
            "trigger", inputs(server.port, channel=None, channels=names, split=True)
        )
        assert output.data == {"message": "sent", "calls": 3}
        got = [str((await sub.next_event(within=15)).channel) for _ in watched]
        assert sorted(got) == sorted(watched)
        assert await published(sub, server) == []  # nothing more came
        assert calls(server) == [200, 200, 200]


# soketi -----------------------------------------------------------------------------------


async def soketi_published(sub: Subscriber, runner: TaskRunner, port: int) -> list[str]:
    """The events `sub` got before a marker published now (soketi has no console)."""
    marker = inputs(port, name="marker", retries=0)
    assert (await runner.execute("trigger", marker)).key == "success"
    names = []
    while (event := await sub.next_event(within=15)).event != "marker":
        names.append(event.event)
    return names


async def test_soketi_gets_a_split_batch_in_order_once_each(
    runner: TaskRunner, tmp_path: Path
) -> None:
    async with (
        running_soketi(tmp_path) as soketi,
        await Subscriber.connect(soketi.ws_url, APP.key) as sub,
    ):
        await sub.subscribe(CHANNEL)
        output = await runner.execute("triggerBatch", batch(soketi.port, 25, split=True))
        assert output.data == {"message": "sent", "calls": 3}
        assert await soketi_published(sub, runner, soketi.port) == [f"e{i}" for i in range(25)]


async def test_soketi_takes_what_its_own_limit_takes(runner: TaskRunner, tmp_path: Path) -> None:
    data = {"text": "y" * 50_000}
    async with (
        running_soketi(tmp_path, SOKETI_EVENT_MAX_SIZE_IN_KB="100") as soketi,
        await Subscriber.connect(soketi.ws_url, APP.key) as sub,
    ):
        await sub.subscribe(CHANNEL)
        refused = await runner.execute("trigger", inputs(soketi.port, data=data))
        assert said(refused) == ("input", "useless", None)  # refused here: nothing sent
        output = await runner.execute(
            "trigger", inputs(soketi.port, data=data, maxDataBytes=102_400)
        )
        assert output == TaskOutput.success()
        assert await soketi_published(sub, runner, soketi.port) == ["the-event"]


async def test_soketi_refusing_a_larger_event_is_too_large(
    runner: TaskRunner, tmp_path: Path
) -> None:
    data = {"text": "z" * 50_000}
    async with running_soketi(tmp_path) as soketi:  # 10 KB, as Pusher
        output = await runner.execute(
            "trigger", inputs(soketi.port, data=data, maxDataBytes=102_400)
        )
        assert said(output) == ("too_large", "useless", 413)
        assert output.data["dataBytes"] == 50_011


def test_the_seed_search_finds_each_pattern() -> None:
    for pattern in ([True, False], [False, True]):
        seed = seed_for(HTTP_503, pattern)
        draws = FaultDraws([Fault(HTTP_503, 0.5)], seed)
        assert [draws.draw(HTTP_503) is not None for _ in pattern] == pattern
