"""Where the local server and soketi differ, measured: the same signed requests go to both, and
each row of the table in docs/local-server.md is checked here against the two servers."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from mesg_pusher._json import dumps, loads
from mesg_pusher.local_server import (
    AppOptions,
    LocalServer,
    ServerSettings,
    Subscriber,
    SubscriberError,
)
from mesg_pusher.local_server._protocol import CLIENT_EVENTS_OFF

from .conftest import APP, Soketi, running_soketi
from .test_strictness import Row, event, target

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    connection: str | None

    @property
    def soketi_code(self) -> int | None:
        parsed = loads(self.body) if self.body.startswith("{") else {}
        code = parsed.get("code") if isinstance(parsed, dict) else None
        return code if isinstance(code, int) else None


async def ask(
    http: aiohttp.ClientSession, base: str, row: Row, bad_signature: bool = False
) -> Answer:
    body = dumps(row.body).encode()
    path = target(row, body)
    if bad_signature:
        path = path.rsplit("auth_signature=", 1)[0] + "auth_signature=" + "0" * 64
    headers = {"Content-Type": "application/json"}
    async with http.post(base + path, data=body, headers=headers) as answer:
        return Answer(answer.status, await answer.text(), answer.headers.get("Connection"))


# name, request, local status, soketi's embedded error code (None: soketi accepts it)
ROWS = [
    ("stale timestamp", Row("t", event(), timestamp_offset=-601), 401, None),
    ("auth_key of no app", Row("k", event(), key="wrong-key"), 400, None),
    ("forbidden channel name", Row("c", event(channel="a b!")), 400, None),
    (
        "encrypted channel among others",
        Row("e", {**event(), "channels": ["private-encrypted-a", "b"]}),
        400,
        None,
    ),
    ("bad body_md5", Row("m", event(), md5_of=b"other"), 401, 401),
    ("10,241 bytes of data", Row("d", event(data="x" * 10241)), 413, 413),
    ("101 channels", Row("n", {**event(), "channels": [f"c{i}" for i in range(101)]}), 400, 400),
    ("11 batch events", Row("b", {"batch": [event()] * 11}, "/apps/42/batch_events"), 400, 400),
]


async def test_differences_table(
    server: LocalServer, soketi: Soketi, http: aiohttp.ClientSession
) -> None:
    for name, row, local_status, soketi_code in ROWS:
        local = await ask(http, server.url, row)
        third = await ask(http, soketi.url, row)
        assert local.status == local_status, (name, local)
        # soketi answers every error with HTTP 200; the status is only inside the JSON body.
        assert third.status == 200, (name, third)
        assert third.soketi_code == soketi_code, (name, third)

    # A bad signature: both refuse it, but only the local server says so in the status line.
    local = await ask(http, server.url, Row("s", event()), bad_signature=True)
    third = await ask(http, soketi.url, Row("s", event()), bad_signature=True)
    assert (local.status, third.status, third.soketi_code) == (401, 200, 401)
    assert local.body.startswith("Invalid signature: you should have sent HmacSHA256Hex(")

    # Success bodies, info and keep-alive.
    info = Row("i", event(info="subscription_count"))
    local, third = await ask(http, server.url, info), await ask(http, soketi.url, info)
    assert loads(local.body) == {"channels": {"watched": {"subscription_count": 0}}}
    assert loads(third.body) == {"ok": True}
    assert local.connection is None or local.connection.lower() == "keep-alive"
    assert (third.connection or "").lower() == "close"


async def burst(base_url: str, count: int) -> tuple[list[Any], list[dict[str, Any]]]:
    """`count` client events sent at once by one subscriber: what the other receives, and the
    errors the sender gets."""
    async with (
        await Subscriber.connect(base_url, APP.key) as sender,
        await Subscriber.connect(base_url, APP.key) as other,
    ):
        await sender.subscribe_signed("private-talk", APP)
        await other.subscribe_signed("private-talk", APP)
        for n in range(count):
            await sender.trigger("private-talk", "client-n", {"n": n})
        # A ping's answer comes after the answers to what was sent before it. An error that
        # arrives while the ping waits fails the ping (Pusher's errors name no request), and is
        # kept with the other frames all the same: ping again.
        while True:
            try:
                await sender.ping()
                break
            except SubscriberError:
                continue
        await other.ping()
        relayed: list[Any] = []
        with contextlib.suppress(TimeoutError):
            while True:
                relayed.append((await other.next_event(within=0.5)).json())
        errors: list[dict[str, Any]] = []
        with contextlib.suppress(TimeoutError):
            while True:
                frame = await sender.next_event(within=0.2)
                if frame.event == "pusher:error":
                    errors.append(frame.data)
        return relayed, errors


async def test_client_events_off_by_default_and_their_rate(soketi: Soketi, tmp_path: Path) -> None:
    # Pusher's defaults: client events off. soketi refuses them too, with its own code and words.
    async with (
        LocalServer(ServerSettings(apps=(APP,))) as pushers_defaults,
        running_soketi(tmp_path, SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES="false") as off,
    ):
        local_relayed, local_errors = await burst(pushers_defaults.ws_url, 1)
        third_relayed, third_errors = await burst(off.ws_url, 1)
    assert local_relayed == third_relayed == []
    assert local_errors == [{"code": None, "message": CLIENT_EVENTS_OFF}]
    assert third_errors == [
        {"code": 4301, "message": "The app does not have client messaging enabled."}
    ]
    # Switched on: the local server stops at Pusher's 10 a second, soketi has no limit by
    # default. The local server's clock stands still: the 11 fall in one second of it.
    now = time.time()
    relaying = ServerSettings(apps=(APP,), app_options={APP.app_id: AppOptions(client_events=True)})
    async with LocalServer(relaying, clock=lambda: now) as local:
        local_relayed, local_errors = await burst(local.ws_url, 11)
    third_relayed, third_errors = await burst(soketi.ws_url, 11)
    assert local_relayed == [{"n": n} for n in range(10)]
    assert [e["code"] for e in local_errors] == [4301]
    assert third_relayed == [{"n": n} for n in range(11)]
    assert third_errors == []


async def test_soketi_sends_no_subscription_counts(soketi: Soketi) -> None:
    counting = ServerSettings(
        apps=(APP,), app_options={APP.app_id: AppOptions(subscription_count=True)}
    )
    async with LocalServer(counting) as local:
        for base_url in (local.ws_url, soketi.ws_url):
            async with (
                await Subscriber.connect(base_url, APP.key) as a,
                await Subscriber.connect(base_url, APP.key) as b,
            ):
                await a.subscribe("news")
                await b.subscribe("news")
                await a.ping()
                counts = dict(a.subscription_counts)
            assert counts == ({"news": 2} if base_url == local.ws_url else {}), base_url
