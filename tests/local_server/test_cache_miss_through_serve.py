"""A ``cache_miss`` webhook becomes a ``cache_miss`` MESG event through ``serve`` (run as the
engine runs it): the local server's, batched with the other webhooks of the subscription, and
soketi's, for pusher-js subscribing to an empty cache channel."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from mesg_pusher.engine import CoreClient, Engine, EngineServer
from mesg_pusher.local_server import LocalServer, ServerSettings, Subscriber
from tests.runtime.conftest import WAIT
from tests.runtime.test_webhooks_counterparts import serving_webhooks, settled, without_time

from .conftest import APP, OPTIONS, NodeProcess, node_package, running_soketi

pytestmark = pytest.mark.integration

CHANNEL = "cache-scores"


async def test_the_local_servers_cache_miss_reaches_the_engine(tmp_path: Path) -> None:
    async with (
        EngineServer(Engine()) as server,
        CoreClient(server.address) as core,
        core.listen_events(server.token) as events,
        serving_webhooks(tmp_path, server, APP) as (process, url),
    ):
        settings = ServerSettings(
            apps=(APP,), app_options=OPTIONS, webhooks=(url,), webhook_batch_window=0.05
        )
        async with (
            LocalServer(settings) as local,
            await Subscriber.connect(local.ws_url, APP.key) as ada,
        ):
            # One subscription: its three events are planned at one instant, so in one batch.
            await ada.subscribe(CHANNEL)
            assert (await ada.next_event()).event == "pusher:cache_miss"
            received = await settled(events, 3)
        log = process.log()
    channel = {"channel": CHANNEL, "app_key": APP.key}
    assert without_time(received) == [
        ("channel_occupied", channel),
        ("subscription_count", {**channel, "subscription_count": 1}),
        ("cache_miss", channel),
    ]
    assert log.count(f"info webhook key={APP.key} events=3 outcome=accepted status=200") == 1


async def test_soketis_cache_miss_reaches_the_engine(tmp_path: Path) -> None:
    node_package("pusher-js")
    async with (
        EngineServer(Engine()) as server,
        CoreClient(server.address) as core,
        core.listen_events(server.token) as events,
        serving_webhooks(tmp_path, server, APP) as (_, url),
    ):
        webhooks = json.dumps([{"url": url, "event_types": ["cache_miss"]}])
        async with running_soketi(tmp_path, SOKETI_DEFAULT_APP_WEBHOOKS=webhooks) as soketi:
            client = await NodeProcess.start(
                "subscriber.js",
                {"host": "127.0.0.1", "port": soketi.port, "key": APP.key, "channels": [CHANNEL]},
            )
            try:
                await client.expect("cache_miss")
                async with asyncio.timeout(WAIT):
                    await events.wait_count(1)
                received = await settled(events, 1)
            finally:
                await client.stop()
    assert without_time(received) == [("cache_miss", {"channel": CHANNEL, "app_key": APP.key})]
