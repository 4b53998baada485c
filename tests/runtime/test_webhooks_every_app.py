"""What Pusher's webhooks leave out, through ``serve`` run as the engine runs it, with real
senders: soketi serving two apps whose webhooks reach one serve (each event saying its
``app_key``, an unknown key still 401), the filters choosing what becomes an event (the rest
answered 200 and counted), and pusher-js joining a presence channel with channel data that
``authorizeChannel`` signed inside that serve, so that ``member_added`` and ``member_removed``
carry the member's ``user_info`` (and a member signed elsewhere none)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from mesg_pusher.engine import CoreClient, Engine, EngineServer, Results
from mesg_pusher.pusher import App
from mesg_pusher.pusher import webhook_signature as signature
from tests.local_server.conftest import (
    APP,
    NodeProcess,
    auth_endpoint,  # noqa: F401 - a fixture, used by name
    node_package,
    running_soketi,
)
from tests.runtime.conftest import WAIT
from tests.runtime.test_process import ServeProcess
from tests.runtime.test_webhooks_counterparts import (
    by_key,
    serving_webhooks,
    settled,
    without_time,
)

pytestmark = pytest.mark.integration

#: A second app on the same soketi, whose webhooks the same serve takes.
STAGING = App(app_id="77", key="staging-key", secret="staging-secret-5e6f7a8b")
ADMIN_LINE = re.compile(r"serving health and metrics health=(http://127\.0\.0\.1:\d+)/health")
WEBHOOK_KINDS = [
    "channel_occupied",
    "channel_vacated",
    "member_added",
    "member_removed",
    "client_event",
]


def admin_url(process: ServeProcess) -> str:
    found = ADMIN_LINE.search(process.log())
    assert found is not None, process.log()
    return found.group(1)


def webhooks_to(url: str) -> str:
    return json.dumps([{"url": url, "event_types": WEBHOOK_KINDS}])


async def subscriber(port: int, key: str, auth: str | None = None) -> NodeProcess:
    node_package("pusher-js")
    config: dict[str, Any] = {"host": "127.0.0.1", "port": port, "key": key, "channels": []}
    if auth is not None:
        config["authEndpoint"] = auth
    client = await NodeProcess.start("subscriber.js", config)
    await client.expect("connected")
    return client


async def join(client: NodeProcess, channel: str) -> dict[str, Any]:
    await client.send({"cmd": "subscribe", "channel": channel})
    return await client.expect("subscribed")


async def counted(url: str, name: str, **labels: str) -> float:
    """One sample of serve's /metrics (0 when absent)."""
    async with aiohttp.ClientSession() as http, http.get(url + "/metrics") as answer:
        text = await answer.text()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


async def test_two_apps_on_soketi_send_their_webhooks_to_one_serve(tmp_path: Path) -> None:
    async with (
        EngineServer(Engine()) as server,
        CoreClient(server.address) as core,
        core.listen_events(server.token) as events,
        serving_webhooks(
            tmp_path, server, APP, PUSHER_WEBHOOK_APPS=f"{STAGING.key}:{STAGING.secret}"
        ) as (process, url),
    ):
        staging = {
            "appManager.array.apps.1.id": STAGING.app_id,
            "appManager.array.apps.1.key": STAGING.key,
            "appManager.array.apps.1.secret": STAGING.secret,
            "appManager.array.apps.1.webhooks": json.loads(webhooks_to(url)),
        }
        async with running_soketi(
            tmp_path, SOKETI_DEFAULT_APP_WEBHOOKS=webhooks_to(url), more_config=staging
        ) as soketi:
            production = await subscriber(soketi.port, APP.key)
            other = await subscriber(soketi.port, STAGING.key)
            try:
                await join(production, "news")
                await join(other, "news")
                async with asyncio.timeout(WAIT):
                    await events.wait_count(2)
                for client in (production, other):
                    await client.send({"cmd": "unsubscribe", "channel": "news"})
                received = await settled(events, 4)
            finally:
                await production.stop()
                await other.stop()
        # An app neither names: its key is unknown, whoever signs.
        stranger = App(app_id="9", key="stranger-key", secret="stranger-secret-1a2b")
        body = json.dumps(
            {
                "time_ms": int(time.time() * 1000),
                "events": [{"name": "channel_occupied", "channel": "x"}],
            }
        ).encode()
        headers = {
            "X-Pusher-Key": stranger.key,
            "X-Pusher-Signature": signature(stranger.secret, body),
        }
        async with (
            aiohttp.ClientSession() as http,
            http.post(url, data=body, headers=headers) as answer,
        ):
            assert answer.status == 401  # answered before anything could be emitted
        assert len(events.data()) == 4
        log = process.log()
    news = {"channel": "news"}
    assert by_key(without_time(received)) == by_key(
        [
            ("channel_occupied", {**news, "app_key": APP.key}),
            ("channel_occupied", {**news, "app_key": STAGING.key}),
            ("channel_vacated", {**news, "app_key": APP.key}),
            ("channel_vacated", {**news, "app_key": STAGING.key}),
        ]
    )
    assert f'app_key="{APP.key},{STAGING.key}"' in log
    assert log.count(f"info webhook key={STAGING.key} events=1 outcome=accepted") == 2
    assert "warning webhook key=stranger-key outcome=unknown_key status=401" in log
    for secret in (APP.secret, STAGING.secret):
        assert secret not in log


async def test_the_filters_choose_what_becomes_an_event_and_count_the_rest(
    tmp_path: Path,
    auth_endpoint: str,  # noqa: F811 - the fixture
) -> None:
    async with (
        EngineServer(Engine()) as server,
        CoreClient(server.address) as core,
        core.listen_events(server.token) as events,
        serving_webhooks(
            tmp_path,
            server,
            APP,
            MESG_PUSHER_WEBHOOK_EVENTS="channel_occupied, member_added",
            MESG_PUSHER_WEBHOOK_CHANNELS="presence-,private-orders-",
        ) as (process, url),
        running_soketi(tmp_path, SOKETI_DEFAULT_APP_WEBHOOKS=webhooks_to(url)) as soketi,
    ):
        admin = admin_url(process)
        client = await subscriber(soketi.port, APP.key, f"{auth_endpoint}/channel/ada")
        try:
            await join(client, "presence-room")
            await join(client, "news")
            async with asyncio.timeout(WAIT):
                await events.wait_count(2)
            for channel in ("presence-room", "news"):
                await client.send({"cmd": "unsubscribe", "channel": channel})
            # Left out: occupied and vacated of news (its prefix), member_removed and
            # channel_vacated of the room (their kinds); each answered 200, never emitted.
            filtered = "mesg_pusher_webhooks_total"
            await until_async(lambda: counted(admin, filtered, outcome="filtered", status="200"), 4)
            received = await settled(events, 2)
            left_out = {
                event: await counted(admin, "mesg_pusher_events_filtered_total", event=event)
                for event in ("channel_occupied", "channel_vacated", "member_removed")
            }
        finally:
            await client.stop()
        log = process.log()
    room = {"channel": "presence-room", "app_key": APP.key}
    assert by_key(without_time(received)) == by_key(
        [("channel_occupied", room), ("member_added", {**room, "user_id": "ada"})]
    )
    assert left_out == {"channel_occupied": 1, "channel_vacated": 2, "member_removed": 1}
    assert 'webhook_events="channel_occupied,member_added"' in log
    assert 'webhook_channels="presence-,private-orders-"' in log
    assert log.count("outcome=filtered status=200") == 4


async def until_async(read: Any, value: float) -> None:
    """Wait, at most WAIT seconds, until the coroutine `read()` gives `value`."""
    async with asyncio.timeout(WAIT):
        while await read() != value:  # noqa: ASYNC110 - another process's state, read by HTTP
            await asyncio.sleep(0.05)


@asynccontextmanager
async def auth_through_serve(core: CoreClient, results: Results, token: str) -> AsyncIterator[str]:
    """``<url>/channel/<user_id>``: an app's auth endpoint that asks the engine to execute
    ``authorizeChannel`` (serve runs it, with the app's credentials from its environment) and
    answers pusher-js with its output, as a workflow behind an HTTP endpoint would."""

    async def channel(request: web.Request) -> web.Response:
        form = await request.post()
        user = request.match_info["user_id"]
        inputs: dict[str, Any] = {
            "socket_id": str(form["socket_id"]),
            "channel": str(form["channel_name"]),
            "channel_data": {"user_id": user, "user_info": {"name": user.title(), "n": [1, 2]}},
        }
        execution = await core.execute(token, "authorizeChannel", inputs)
        async with asyncio.timeout(WAIT):
            result = (await results.wait_for([execution]))[execution]
        status = 200 if result.outputKey == "success" else 403
        return web.json_response(json.loads(result.outputData), status=status)

    app = web.Application()
    app.router.add_post("/channel/{user_id}", channel)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def test_pusher_js_joins_with_channel_data_serve_signed_and_its_events_carry_user_info(
    tmp_path: Path,
    auth_endpoint: str,  # noqa: F811 - signs for APP outside serve
) -> None:
    async with (
        EngineServer(Engine()) as server,
        CoreClient(server.address) as core,
        core.listen_events(server.token) as events,
        core.results(server.token) as results,
        serving_webhooks(tmp_path, server, APP) as (process, url),
        running_soketi(tmp_path, SOKETI_DEFAULT_APP_WEBHOOKS=webhooks_to(url)) as soketi,
        auth_through_serve(core, results, server.token) as serve_auth,
    ):
        ada = await subscriber(soketi.port, APP.key, f"{serve_auth}/channel/ada")
        # Signed by the app's own endpoint, not by serve: serve knows nothing of bob's info.
        bob = await subscriber(soketi.port, APP.key, f"{auth_endpoint}/channel/bob")
        try:
            joined = await join(ada, "presence-room")
            assert joined["members"]["me"] == "ada"
            async with asyncio.timeout(WAIT):
                await events.wait_count(2)  # channel_occupied, member_added of ada
            await join(bob, "presence-room")
            # pusher-js hands the member's info to the others: the same that serve emits.
            seen = await ada.expect("member_added")
            assert (seen["id"], seen["info"]) == ("bob", {"name": "Bob"})
            async with asyncio.timeout(WAIT):
                await events.wait_count(3)
            for client in (bob, ada):
                await client.send({"cmd": "unsubscribe", "channel": "presence-room"})
            received = await settled(events, 6)
        finally:
            await ada.stop()
            await bob.stop()
        metrics = await counted(admin_url(process), "mesg_pusher_member_info_bytes")
    room = {"channel": "presence-room", "app_key": APP.key}
    info = {"name": "Ada", "n": [1, 2]}
    assert by_key(without_time(received)) == by_key(
        [
            ("channel_occupied", room),
            ("member_added", {**room, "user_id": "ada", "user_info": info}),
            ("member_added", {**room, "user_id": "bob"}),  # absent, never null
            ("member_removed", {**room, "user_id": "bob"}),
            ("member_removed", {**room, "user_id": "ada", "user_info": info}),
            ("channel_vacated", room),
        ]
    )
    assert metrics > 0  # ada's entry, held
