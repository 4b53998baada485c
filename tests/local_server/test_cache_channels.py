"""Cache channels on the local server, met by the project's Python subscriber and signed HTTP
requests: the last event published through the API, sent right after ``subscription_succeeded``
or ``pusher:cache_miss`` when there is none, on every kind of cache channel; ``info=cache`` as
Pusher answers it; the TTL; the ``cache_miss`` webhook; the debug console's record; and the
``--cache-ttl`` option with ``mesg-pusher execute`` end to end."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

import aiohttp
import pytest

from mesg_pusher._json import loads
from mesg_pusher.local_server import LocalServer, ReceivedEvent, ServerSettings, Subscriber
from mesg_pusher.local_server._webhook_plan import MAX_BATCH_EVENTS
from tests.runtime.conftest import until
from tests.support.webhook_receiver import WebhookReceiver

from .conftest import APP, OPTIONS, OTHER_APP, api, local_server_process

PRICES = "cache-prices"


async def publish(
    http: aiohttp.ClientSession,
    server: LocalServer,
    channel: str,
    name: str,
    data: str,
    **more: str,
) -> None:
    payload = {"name": name, "channel": channel, "data": data, **more}
    status, text = await api(http, server, "POST", f"/apps/{APP.app_id}/events", payload)
    assert status == 200, text


async def nothing_more(sub: Subscriber) -> None:
    """Nothing else was sent to `sub`: a ping's pong comes after anything sent before it."""
    await sub.ping()
    with pytest.raises(TimeoutError):
        await sub.next_event(within=0.05)


async def test_a_first_subscriber_misses_and_a_later_one_gets_the_last_event_at_once(
    server: LocalServer, http: aiohttp.ClientSession, pair: tuple[Subscriber, Subscriber]
) -> None:
    a, b = pair
    await a.subscribe(PRICES)
    assert await a.next_event() == ReceivedEvent("pusher:cache_miss", PRICES, None)
    await publish(http, server, PRICES, "tick", '{"p":1}')
    batch = {"batch": [{"name": "tock", "channel": PRICES, "data": '{"p":2}'}]}
    assert (await api(http, server, "POST", "/apps/42/batch_events", batch))[0] == 200
    assert [(await a.next_event()).data for _ in range(2)] == ['{"p":1}', '{"p":2}']
    await b.subscribe(PRICES)
    # The last event, as a live one is sent, and nothing else.
    assert await b.next_event() == ReceivedEvent("tock", PRICES, '{"p":2}')
    await nothing_more(b)
    await nothing_more(a)


async def test_every_kind_of_cache_channel_and_no_other(
    server: LocalServer, http: aiohttp.ClientSession, pair: tuple[Subscriber, Subscriber]
) -> None:
    a, b = pair
    for channel in ("private-cache-x", "private-encrypted-cache-x", "presence-cache-x"):
        presence = channel.startswith("presence-")
        await a.subscribe_signed(channel, APP, user_id="ua" if presence else None)
        assert await a.next_event() == ReceivedEvent("pusher:cache_miss", channel, None)
        await publish(http, server, channel, "state", "1")
        assert (await a.next_event()).data == "1"
        await b.subscribe_signed(channel, APP, user_id="ub" if presence else None)
        assert await b.next_event() == ReceivedEvent("state", channel, "1")
        if presence:  # the others hear of the new member; the cache goes to the newcomer alone
            assert (await a.next_event()).event == "pusher_internal:member_added"
    for channel in ("prices", "private-prices", "my-cache-prices"):
        await publish(http, server, channel, "state", "1")
        if channel.startswith("private-"):
            await a.subscribe_signed(channel, APP)
        else:
            await a.subscribe(channel)
    await nothing_more(a)
    await nothing_more(b)


async def test_client_events_are_not_cached_but_excluded_sockets_are_no_exception(
    server: LocalServer, http: aiohttp.ClientSession, pair: tuple[Subscriber, Subscriber]
) -> None:
    a, b = pair
    channel = "private-cache-chat"
    await a.subscribe_signed(channel, APP)
    await a.next_event()  # its miss
    await b.subscribe_signed(channel, APP)
    assert (await b.next_event()).event == "pusher:cache_miss"
    await a.trigger(channel, "client-typing", {"who": "a"})
    assert (await b.next_event()).event == "client-typing"
    async with await Subscriber.connect(server.ws_url, APP.key) as c:
        await c.subscribe_signed(channel, APP)
        assert (await c.next_event()).event == "pusher:cache_miss"
        # An event that skips `a` is still the channel's last event.
        await publish(http, server, channel, "said", "hi", socket_id=a.socket_id)
        assert (await b.next_event()).data == "hi"
        assert (await c.next_event()).data == "hi"  # live
        await c.unsubscribe(channel)
        await c.subscribe_signed(channel, APP)
        assert await c.next_event() == ReceivedEvent("said", channel, "hi")  # cached
        await nothing_more(c)


async def test_info_cache_answers_as_pusher_does(
    server: LocalServer, http: aiohttp.ClientSession, pair: tuple[Subscriber, Subscriber]
) -> None:
    a, _ = pair
    path = f"/apps/42/channels/{PRICES}"
    status, text = await api(http, server, "GET", path, params={"info": "cache"})
    assert (status, loads(text)) == (200, {"occupied": False, "cache": None})
    await publish(http, server, PRICES, "tick", '{"p":1}')
    # Nobody subscribed: the event is kept all the same.
    status, text = await api(http, server, "GET", path, params={"info": "cache,subscription_count"})
    answer = loads(text)
    assert 1799 <= answer["cache"].pop("ttl") <= 1800
    assert (status, answer) == (
        200,
        {"occupied": False, "cache": {"data": '{"p":1}'}, "subscription_count": 0},
    )
    await a.subscribe(PRICES)
    await a.unsubscribe(PRICES)  # occupied, then vacated: the cache stays
    status, text = await api(http, server, "GET", path, params={"info": "cache"})
    assert loads(text)["cache"]["data"] == '{"p":1}'
    # Another app's channel of the same name is its own.
    status, text = await api(
        http, server, "GET", f"/apps/43/channels/{PRICES}", params={"info": "cache"}, app=OTHER_APP
    )
    assert loads(text) == {"occupied": False, "cache": None}


async def test_info_cache_is_refused_where_pusher_refuses_it(
    server: LocalServer, http: aiohttp.ClientSession
) -> None:
    status, text = await api(
        http, server, "GET", "/apps/42/channels/prices", params={"info": "cache"}
    )
    assert status == 400
    assert text == (
        "info=cache is only available for cache channels (cache-, private-cache-, "
        "private-encrypted-cache-, presence-cache-)\n"
    )
    # Listing channels and publishing take no cache attribute.
    status, text = await api(http, server, "GET", "/apps/42/channels", params={"info": "cache"})
    assert status == 400
    assert "unknown attribute 'cache'" in text
    payload = {"name": "e", "channel": PRICES, "data": "", "info": "cache"}
    status, text = await api(http, server, "POST", "/apps/42/events", payload)
    assert status == 400
    assert "unknown attribute 'cache'" in text


async def test_an_event_is_forgotten_when_its_ttl_is_over(http: aiohttp.ClientSession) -> None:
    # The server's clock runs ahead of the real one when the test says (within the signature
    # window, so the signed requests stay good).
    ahead = [0.0]
    settings = ServerSettings(apps=(APP,), app_options=OPTIONS, cache_ttl=60)
    async with (
        LocalServer(settings, clock=lambda: time.time() + ahead[0]) as server,
        await Subscriber.connect(server.ws_url, APP.key) as sub,
    ):
        await publish(http, server, PRICES, "tick", "1")
        ahead[0] = 59.0
        await sub.subscribe(PRICES)
        assert (await sub.next_event()).data == "1"
        status, text = await api(
            http, server, "GET", f"/apps/42/channels/{PRICES}", params={"info": "cache"}
        )
        assert loads(text)["cache"]["ttl"] in (1, 2)
        ahead[0] = 61.0
        await sub.unsubscribe(PRICES)
        await sub.subscribe(PRICES)
        assert (await sub.next_event()).event == "pusher:cache_miss"
        status, text = await api(
            http, server, "GET", f"/apps/42/channels/{PRICES}", params={"info": "cache"}
        )
        assert (status, loads(text)) == (200, {"occupied": True, "cache": None})


async def test_misses_send_one_cache_miss_webhook_per_batch_and_the_console_shows_them() -> None:
    receiver = await WebhookReceiver().start()
    try:
        # A window no test outlasts: the batch closes when it holds MAX_BATCH_EVENTS (20).
        settings = ServerSettings(
            apps=(APP,), app_options=OPTIONS, webhooks=(receiver.url,), webhook_batch_window=600
        )
        async with (
            LocalServer(settings) as server,
            await Subscriber.connect(server.ws_url, APP.key) as a,
            await Subscriber.connect(server.ws_url, APP.key) as b,
        ):
            await a.subscribe(PRICES)  # occupied, count, miss
            await b.subscribe(PRICES)  # count (the latest replaces the first), miss again
            for index in range(5):  # 3 events each
                await a.subscribe(f"cache-{index}")
            await a.subscribe("filler")  # occupied, count: the 19th and 20th events
            events = (await receiver.next()).events
            assert len(events) == MAX_BATCH_EVENTS
            misses = [e["channel"] for e in events if e["name"] == "cache_miss"]
            assert misses == [PRICES, *(f"cache-{index}" for index in range(5))]
            history = [e for e in server.broker.debug.history if e["kind"] == "cache"]
            assert [(e["socket_id"], e["channel"], e["action"]) for e in history[:2]] == [
                (a.socket_id, PRICES, "miss"),
                (b.socket_id, PRICES, "miss"),
            ]
            # The console records the POST once its answer is read, after the receiver got it.
            await until(lambda: any(e["kind"] == "webhook" for e in server.broker.debug.history))
            webhook = [e for e in server.broker.debug.history if e["kind"] == "webhook"]
            assert webhook[0]["outcome"] == "delivered"
            assert {"name": "cache_miss", "channel": PRICES} in webhook[0]["events"]
    finally:
        await receiver.stop()


def test_the_cache_ttl_must_be_positive() -> None:
    for bad in (0.0, -1.0, float("nan"), float("inf"), 86_401.0):
        with pytest.raises(ValueError, match="cache_ttl: must be a positive number of seconds"):
            ServerSettings(cache_ttl=bad)


@pytest.mark.integration
async def test_the_command_keeps_events_for_its_ttl_and_the_channel_task_reads_them() -> None:
    """``mesg-pusher local-server --cache-ttl``, fed and asked by ``mesg-pusher execute``."""
    server = await local_server_process("--cache-ttl", "120")
    try:
        assert server.stdout is not None
        first = (await asyncio.wait_for(server.stdout.readline(), 30)).decode()
        assert first.startswith("Local Pusher server listening on http://127.0.0.1:"), first
        port = int(first.rsplit(":", 1)[1])
        env = {"PUSHER_URL": f"http://local-key:local-secret@127.0.0.1:{port}/apps/1"}

        async def execute(task: str, *inputs: str) -> tuple[int, dict[str, object]]:
            args = [item for pair in inputs for item in ("-d", pair)]
            run = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "mesg_pusher.cli",
                "execute",
                task,
                *args,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env={**_environ(), **env},
            )
            out, err = await asyncio.wait_for(run.communicate(), 60)
            header = err.decode().splitlines()[-1]
            assert header.startswith(f"Task {task} returned output "), (out, err)
            data = json.loads(out)
            assert isinstance(data, dict)
            return run.returncode or 0, data

        assert await execute("channel", f"channel={PRICES}", "info=cache") == (
            0,
            {"occupied": False},
        )
        sent = await execute("trigger", f"channel={PRICES}", "name=tick", 'data={"p":7}')
        assert sent == (0, {"message": "sent"})
        code, data = await execute("channel", f"channel={PRICES}", "info=cache")
        cache = data.pop("cache")
        assert isinstance(cache, dict)
        assert 119 <= cache.pop("ttl") <= 120
        assert (code, data, cache) == (0, {"occupied": False}, {"data": '{"p":7}'})
        code, data = await execute("channel", "channel=prices", "info=cache")
        assert code == 1
        assert data == {
            "error": "Pusher answered 400 Bad Request: info=cache is only available for cache "
            "channels (cache-, private-cache-, private-encrypted-cache-, presence-cache-)",
            "kind": "rejected",
            "retry": "useless",
            "status": 400,
        }
    finally:
        if server.returncode is None:
            server.terminate()
            await asyncio.wait_for(server.wait(), 30)


def _environ() -> dict[str, str]:
    """This process's environment without any Pusher setting of the machine's."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PUSHER_")}
