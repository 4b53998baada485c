"""How the local server's webhooks reach a real receiver when things go wrong: a 413 is final,
a failing webhook never holds the later ones back, a receiver that never answers cannot make the
server hold more than its bound, and the injected webhook faults (a lost webhook, a late one)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from mesg_pusher.local_server import AppOptions, Fault, LocalServer, ServerSettings, Subscriber
from mesg_pusher.local_server._debug_feed import DebugFeed
from mesg_pusher.local_server._fault_injection import DROP_WEBHOOK, SLOW_WEBHOOK, FaultDraws
from mesg_pusher.local_server._webhook_plan import delivered, retried
from mesg_pusher.local_server._webhook_sender import MAX_QUEUED_BYTES, WebhookSender
from tests.runtime.conftest import until
from tests.support.webhook_receiver import WebhookReceiver

from .conftest import APP

pytestmark = pytest.mark.integration

WINDOW = 0.05


def settings(*urls: str, **more: Any) -> ServerSettings:
    return ServerSettings(
        apps=(APP,), webhooks=urls, webhook_batch_window=WINDOW, webhook_delay=0.1, **more
    )


def webhooks(server: LocalServer) -> list[dict[str, Any]]:
    return [e for e in server.broker.debug.history if e["kind"] == "webhook"]


def channels_of(entry: dict[str, Any]) -> set[str]:
    return {event["channel"] for event in entry["events"]}


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    running = await WebhookReceiver().start()
    yield running
    await running.stop()


def test_which_answers_are_retried() -> None:
    assert [delivered(s) for s in (200, 204, 299, 300, 413, None)] == [True] * 3 + [False] * 3
    assert [retried(s) for s in (None, 400, 401, 408, 429, 500, 503)] == [True] * 7
    assert not retried(413)  # the body will never fit: final
    assert not retried(200)


async def test_a_413_is_given_up_at_once(receiver: WebhookReceiver) -> None:
    receiver.answers = [413]
    async with (
        LocalServer(settings(receiver.url)) as server,
        await Subscriber.connect(server.ws_url, APP.key) as sub,
    ):
        await sub.subscribe("too-big")
        await until(lambda: len(webhooks(server)) == 1)
        assert (webhooks(server)[0]["status"], webhooks(server)[0]["outcome"]) == (
            413,
            "gave up: a final answer",
        )
        await sub.subscribe("after")
        await until(lambda: len(webhooks(server)) == 2)
    assert [e["outcome"] for e in webhooks(server)] == ["gave up: a final answer", "delivered"]
    assert [d.status for d in receiver.deliveries] == [413, 200]


class Selective:
    """A receiver answering 503 to every webhook about the channel `failing`, 200 to others."""

    def __init__(self) -> None:
        self.answered: list[tuple[set[str], int]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        events = json.loads(await request.read())["events"]
        channels = {event["channel"] for event in events}
        status = 503 if "failing" in channels else 200
        self.answered.append((channels, status))
        return web.json_response({}, status=status)

    async def __aenter__(self) -> Selective:
        app = web.Application()
        app.router.add_post("/webhooks", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/webhooks"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def test_a_failing_webhook_never_holds_the_later_ones_back() -> None:
    async with (
        Selective() as selective,
        LocalServer(settings(selective.url)) as server,
        await Subscriber.connect(server.ws_url, APP.key) as sub,
    ):
        await sub.subscribe("failing")
        await until(lambda: any(e["outcome"] == "retrying" for e in webhooks(server)))
        await sub.subscribe("fine")
        await until(lambda: any(e["outcome"] == "delivered" for e in webhooks(server)))
        outcomes = [(channels_of(e), e["outcome"]) for e in webhooks(server)]
    # The later webhook went through while the failing one was still being retried.
    assert ({"fine"}, "delivered") in outcomes
    assert ({"failing"}, "delivered") not in outcomes
    assert all(outcome == "retrying" for channels, outcome in outcomes if channels == {"failing"})


async def test_a_receiver_that_never_answers_cannot_make_the_server_hold_more_than_its_bound() -> (
    None
):
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # holds the connection, never answers

    sink = await asyncio.start_server(silent, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{sink.sockets[0].getsockname()[1]}/webhooks"
    feed = DebugFeed(10, lambda: 0.0, dict)
    outcomes: list[str] = []
    feed.tap(lambda entry: outcomes.append(entry["outcome"]))
    sender = WebhookSender(settings(url), feed)
    await sender.on_startup(web.Application())
    try:
        # 2,000 client events of 10 KB that JSON writes six times over: 100 bodies of about
        # 1.2 MB each, 120 MB if nothing were dropped (the issue saw 1.5 GB held).
        data = "\x01" * 10_000
        for n in range(2000):
            sender.client_event(
                APP, channel="private-x", event="client-x", data=data, socket_id="1.1", user_id=None
            )
            if n % 100 == 99:
                await asyncio.sleep(WINDOW * 2)  # let batches close and reach the outbox
        outbox = sender._outboxes[url]
        await until(lambda: outcomes.count("dropped") > 50)
        assert outbox.bytes <= MAX_QUEUED_BYTES
        assert len(outbox.heap) < 20
    finally:
        await sender.on_cleanup(web.Application())
        sink.close()
        await sink.wait_closed()


def seed_for(kind: str, rate: float, wanted: list[bool]) -> int:
    """The first seed whose draws of `kind` at `rate` begin as `wanted`."""
    for seed in range(10_000):
        draws = FaultDraws([Fault(kind, rate)], seed)
        if [draws.draw(kind) is not None for _ in wanted] == wanted:
            return seed
    raise AssertionError("no seed found")  # pragma: no cover


async def test_an_injected_drop_loses_the_webhook(receiver: WebhookReceiver) -> None:
    seed = seed_for(DROP_WEBHOOK, 0.5, [True, False])
    faulty = settings(receiver.url, faults=(Fault(DROP_WEBHOOK, 0.5),), fault_seed=seed)
    async with (
        LocalServer(faulty) as server,
        await Subscriber.connect(server.ws_url, APP.key) as sub,
    ):
        await sub.subscribe("lost")
        await until(lambda: len(webhooks(server)) == 1)
        await sub.subscribe("kept")
        delivery = await receiver.next()
    assert [e["channel"] for e in delivery.events] == ["kept"]  # "lost" never arrived
    first = webhooks(server)[0]
    assert (channels_of(first), first["outcome"], first["fault"]) == (
        {"lost"},
        "dropped",
        DROP_WEBHOOK,
    )


async def test_an_injected_slow_webhook_arrives_late_and_holds_nothing_back(
    receiver: WebhookReceiver,
) -> None:
    seed = seed_for(SLOW_WEBHOOK, 0.5, [True, False])
    slow = Fault(SLOW_WEBHOOK, 0.5, 3000)
    options = {APP.app_id: AppOptions()}
    faulty = settings(receiver.url, faults=(slow,), fault_seed=seed, app_options=options)
    async with (
        LocalServer(faulty) as server,
        await Subscriber.connect(server.ws_url, APP.key) as sub,
    ):
        assert server.broker.webhooks is not None
        outbox = server.broker.webhooks._outboxes[receiver.url]
        await sub.subscribe("late")
        await until(lambda: len(outbox.heap) == 1)  # the late one waits in the outbox
        await sub.subscribe("on-time")
        first = await receiver.next()
        second = await receiver.next()
    assert [e["channel"] for e in first.events] == ["on-time"]
    assert [e["channel"] for e in second.events] == ["late"]
    assert second.at - first.at > 0  # it came after the later one
    late = [e for e in webhooks(server) if channels_of(e) == {"late"}]
    assert [(e["outcome"], e["fault"]) for e in late] == [("delivered", SLOW_WEBHOOK)]
