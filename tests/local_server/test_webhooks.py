"""The local server as a webhook sender, met by a real receiver on 127.0.0.1: signed, batched
POSTs for every kind of change, vacated and removed delayed and cancelled by a quick return,
retries of the same body until a 2xx answer for a bounded time, every attempt in the debug
console, and the ``--webhook`` options of the command."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pusher as pusher_sdk
import pytest

from mesg_pusher.local_server import LocalServer, ServerSettings, Subscriber
from mesg_pusher.local_server._webhook_sender import shown_url
from mesg_pusher.pusher import webhook_signature
from mesg_pusher.webhooks import check
from tests.support.webhook_receiver import WebhookReceiver

from .conftest import APP, OPTIONS, OTHER_APP, free_port, local_server_process, refused

pytestmark = pytest.mark.integration

#: Short, so tests are quick; what they check does not depend on how short.
DELAY = 0.3
WINDOW = 0.05


def settings(*urls: str, **more: Any) -> ServerSettings:
    options: dict[str, Any] = {"webhook_delay": DELAY, "webhook_batch_window": WINDOW, **more}
    return ServerSettings(apps=(APP, OTHER_APP), app_options=OPTIONS, webhooks=urls, **options)


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    running = await WebhookReceiver().start()
    yield running
    await running.stop()


def names(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["name"], e["channel"]) for e in events]


async def test_webhooks_are_signed_as_pusher_signs_them(receiver: WebhookReceiver) -> None:
    async with (
        LocalServer(settings(receiver.url)) as server,
        await Subscriber.connect(server.ws_url, APP.key) as sub,
    ):
        await sub.subscribe("news")
        delivery = await receiver.next()
    assert delivery.headers["content-type"] == "application/json"
    assert delivery.headers["x-pusher-key"] == APP.key
    assert delivery.headers["x-pusher-signature"] == webhook_signature(APP.secret, delivery.body)
    now_ms = time.time() * 1000
    assert abs(delivery.json["time_ms"] - now_ms) < 60_000
    assert list(delivery.json) == ["time_ms", "events"]
    verified = check(
        [APP],
        key=delivery.headers["x-pusher-key"],
        signature=delivery.headers["x-pusher-signature"],
        body=delivery.body,
        now_ms=now_ms,
    )
    assert [e.key for e in verified.webhook.events] == ["channel_occupied", "subscription_count"]
    sdk = pusher_sdk.Pusher(app_id=APP.app_id, key=APP.key, secret=APP.secret)
    validated = sdk.validate_webhook(
        delivery.headers["x-pusher-key"],
        delivery.headers["x-pusher-signature"],
        delivery.body.decode(),
    )
    assert validated == delivery.json


async def test_every_kind_of_change_in_order_and_batched(receiver: WebhookReceiver) -> None:
    async with LocalServer(settings(receiver.url)) as server:
        async with (
            await Subscriber.connect(server.ws_url, APP.key) as ada,
            await Subscriber.connect(server.ws_url, APP.key) as bob,
        ):
            await ada.subscribe_signed("presence-room", APP, user_id="ada", user_info={"n": 1})
            await ada.subscribe("news")
            first = await receiver.events(4)
            await bob.subscribe_signed("presence-room", APP, user_id="bob")
            await bob.subscribe_signed("private-chat", APP)
            await bob.trigger("presence-room", "client-wave", {"hello": "ada"})
            await bob.trigger("private-chat", "client-note", "plain text")
            second = await receiver.events(5)
            await ada.unsubscribe("news")
            third = await receiver.events(1)
        last = await receiver.events(4)
        assert await receiver.quiet(DELAY + 3 * WINDOW) == []
    assert first == [
        {"name": "channel_occupied", "channel": "presence-room"},
        {"name": "member_added", "channel": "presence-room", "user_id": "ada"},
        {"name": "channel_occupied", "channel": "news"},
        {"name": "subscription_count", "channel": "news", "subscription_count": 1},
    ]
    assert second == [
        {"name": "member_added", "channel": "presence-room", "user_id": "bob"},
        {"name": "channel_occupied", "channel": "private-chat"},
        {"name": "subscription_count", "channel": "private-chat", "subscription_count": 1},
        {
            "name": "client_event",
            "channel": "presence-room",
            "event": "client-wave",
            "data": '{"hello":"ada"}',
            "socket_id": bob.socket_id,
            "user_id": "bob",
        },
        {
            "name": "client_event",
            "channel": "private-chat",
            "event": "client-note",
            "data": "plain text",
            "socket_id": bob.socket_id,
        },
    ]
    assert third == [{"name": "channel_vacated", "channel": "news"}]
    # Both left at the end, in whichever order the server saw the two sockets close.
    assert sorted(names(last)) == [
        ("channel_vacated", "presence-room"),
        ("channel_vacated", "private-chat"),
        ("member_removed", "presence-room"),
        ("member_removed", "presence-room"),
    ]
    assert names(last)[-1] == ("channel_vacated", "presence-room") or names(last)[-1] == (
        "channel_vacated",
        "private-chat",
    )
    removed = [i for i, e in enumerate(names(last)) if e[0] == "member_removed"]
    assert names(last).index(("channel_vacated", "presence-room")) > max(removed)
    assert {e["user_id"] for e in last if e["name"] == "member_removed"} == {"ada", "bob"}
    assert all(len(d.events) <= 20 for d in receiver.deliveries)


async def test_vacated_and_removed_wait_and_a_quick_return_cancels_them(
    receiver: WebhookReceiver,
) -> None:
    slow = 1.5  # a return within this cancels the pair
    async with LocalServer(settings(receiver.url, webhook_delay=slow)) as server:
        async with await Subscriber.connect(server.ws_url, APP.key) as sub:
            await sub.subscribe_signed("presence-room", APP, user_id="ada")
            assert names(await receiver.events(2)) == [
                ("channel_occupied", "presence-room"),
                ("member_added", "presence-room"),
            ]
        left_at = time.monotonic()
        # A page reload: the same user back on a new connection, quickly.
        async with await Subscriber.connect(server.ws_url, APP.key) as again:
            await again.subscribe_signed("presence-room", APP, user_id="ada")
            back_at = time.monotonic()
            late = await receiver.quiet(slow + 0.5)
        if back_at - left_at < slow:  # a machine slow enough to miss the delay proves nothing
            assert late == []
        gone_at = time.monotonic()
        leaving = await receiver.events(2)
        assert receiver.deliveries[-1].at - gone_at >= slow * 0.9
    assert names(leaving) == [
        ("member_removed", "presence-room"),
        ("channel_vacated", "presence-room"),
    ]


async def test_failures_are_retried_with_the_same_body(receiver: WebhookReceiver) -> None:
    receiver.answers = [500, 503]
    async with (
        LocalServer(settings(receiver.url)) as server,
        await Subscriber.connect(server.ws_url, APP.key) as sub,
    ):
        await sub.subscribe("news")
        attempts = [await receiver.next() for _ in range(3)]
        history = [e for e in server.broker.debug.history if e["kind"] == "webhook"]
    assert [a.status for a in attempts] == [500, 503, 200]
    assert len({a.body for a in attempts}) == 1  # the same body: a receiver can tell a retry
    assert len({a.headers["x-pusher-signature"] for a in attempts}) == 1
    assert [(e["attempt"], e["status"], e["outcome"]) for e in history] == [
        (1, 500, "retrying"),
        (2, 503, "retrying"),
        (3, 200, "delivered"),
    ]
    assert history[0]["answer"] == '{"error":"scripted failure"}'
    assert history[0]["retry_in"] > 0
    assert attempts[1].at > attempts[0].at  # waited between attempts


async def test_retries_stop_after_the_retry_period(receiver: WebhookReceiver) -> None:
    receiver.answers = [500] * 100
    async with (
        LocalServer(settings(receiver.url, webhook_retry_for=1.0)) as server,
        await Subscriber.connect(server.ws_url, APP.key) as sub,
    ):
        await sub.subscribe("news")
        await receiver.next()
        started = time.monotonic()
        while not any(
            e.get("outcome") == "gave up" for e in server.broker.debug.history
        ):  # bounded: the period is 1 s
            assert time.monotonic() - started < 15, server.broker.debug.history
            await asyncio.sleep(0.05)
        attempts = len(receiver.deliveries)
        await asyncio.sleep(0.5)
        assert len(receiver.deliveries) == attempts  # given up: no more attempts
    assert 2 <= attempts < 10


async def test_each_url_gets_every_webhook_and_a_dead_one_delays_no_other(
    receiver: WebhookReceiver,
) -> None:
    dead = f"http://user:pw-of-the-hook@127.0.0.1:{free_port()}/hooks"
    async with (
        LocalServer(settings(dead, receiver.url)) as server,
        await Subscriber.connect(server.ws_url, OTHER_APP.key) as sub,
    ):
        await sub.subscribe("news")
        delivery = await receiver.next()
        assert delivery.headers["x-pusher-key"] == OTHER_APP.key
        assert delivery.headers["x-pusher-signature"] == webhook_signature(
            OTHER_APP.secret, delivery.body
        )
        started = time.monotonic()
        while not any(e.get("error") for e in server.broker.debug.history):
            assert time.monotonic() - started < 15
            await asyncio.sleep(0.05)
        failed = next(e for e in server.broker.debug.history if e.get("error"))
    assert failed["url"] == f"http://127.0.0.1:{dead.rsplit(':', 1)[1]}"
    assert "pw-of-the-hook" not in str(server.broker.debug.history)
    assert failed["outcome"] == "retrying"
    assert failed["status"] is None


def test_shown_url_drops_credentials() -> None:
    assert shown_url("https://u:p@example.com:8443/x?y=1#f") == "https://example.com:8443/x?y=1"
    assert shown_url("http://[::1]:3000/w") == "http://[::1]:3000/w"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("webhooks", ("ftp://x/",), "webhooks: expected an http:// or https:// URL"),
        ("webhooks", ("http://h:99999/",), "webhooks: expected an http:// or https:// URL"),
        ("webhooks", ("/relative",), "webhooks: expected an http:// or https:// URL"),
        ("webhook_delay", -1.0, "webhook_delay: must be 0 or more seconds"),
        ("webhook_retry_for", float("nan"), "webhook_retry_for: must be 0 or more seconds"),
    ],
)
def test_bad_webhook_settings_are_refused(field: str, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ServerSettings(**{field: value})


async def test_the_command_sends_webhooks_and_refuses_a_bad_url(
    receiver: WebhookReceiver,
) -> None:
    err = await refused("--webhook", "not-a-url")
    assert "local-server: error: --webhook: expected an http:// or https:// URL" in err
    process = await local_server_process(
        "--app",
        f"{APP.app_id}:{APP.key}:{APP.secret}",
        "--webhook",
        receiver.url,
        "--webhook-delay",
        "0.2",
        "--webhook-retry-for",
        "5",
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while not any(line.startswith("Webhooks:") for line in lines):
            raw = await asyncio.wait_for(process.stdout.readline(), 30)
            assert raw, lines
            lines.append(raw.decode().rstrip("\n"))
        assert lines[-1] == f"Webhooks: POST to {receiver.url}"
        port = int(lines[0].rsplit(":", 1)[1])
        async with await Subscriber.connect(f"ws://127.0.0.1:{port}", APP.key) as sub:
            await sub.subscribe_signed("presence-x", APP, user_id="u")
            assert names(await receiver.events(2)) == [
                ("channel_occupied", "presence-x"),
                ("member_added", "presence-x"),
            ]
        assert names(await receiver.events(2)) == [
            ("member_removed", "presence-x"),
            ("channel_vacated", "presence-x"),
        ]
    finally:
        process.terminate()
        await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
