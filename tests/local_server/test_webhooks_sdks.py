"""The local server's webhooks meet the counterparts a Pusher app meets: pusher-js (under
Node.js) subscribing, joining a presence channel, sending a client event and leaving produces
the expected webhooks, in order, once each; and the official Node SDK's ``webhook()``
(``isValid()``, ``getEvents()``) and the Python SDK's ``validate_webhook`` accept every one of
them, as webhooks signed by Pusher itself."""

from __future__ import annotations

import json
from typing import Any

import pusher as pusher_sdk
import pytest

from mesg_pusher.local_server import LocalServer, ServerSettings
from tests.support.webhook_receiver import Delivery, WebhookReceiver

from .conftest import APP, OPTIONS, NodeProcess, node_package

pytestmark = pytest.mark.integration

DELAY = 0.3
WINDOW = 0.05


async def node_checks(deliveries: list[Delivery], secret: str) -> list[dict[str, Any]]:
    """What the Node SDK's webhook() says of each delivery, given the app's `secret`."""
    node_package("pusher")
    checker = await NodeProcess.start(
        "webhook-check.js", {"appId": APP.app_id, "key": APP.key, "secret": secret}
    )
    try:
        results = []
        for delivery in deliveries:
            await checker.send({"headers": delivery.headers, "body": delivery.body.decode()})
            results.append(await checker.expect("checked"))
        assert await checker.finish() == 0
        return results
    finally:
        await checker.stop()


async def test_pusher_js_activity_gives_the_webhooks_pusher_would_send(
    auth_endpoint: str,
) -> None:
    node_package("pusher-js")
    receiver = await WebhookReceiver().start()
    settings = ServerSettings(
        apps=(APP,),
        app_options=OPTIONS,
        webhooks=(receiver.url,),
        webhook_delay=DELAY,
        webhook_batch_window=WINDOW,
    )
    try:
        async with LocalServer(settings) as server:
            client = await NodeProcess.start(
                "subscriber.js",
                {
                    "host": "127.0.0.1",
                    "port": server.port,
                    "key": APP.key,
                    "authEndpoint": f"{auth_endpoint}/channel/ada",
                    "channels": [],
                },
            )
            try:
                socket_id = (await client.expect("connected"))["socket_id"]
                await client.send({"cmd": "subscribe", "channel": "presence-room"})
                assert (await client.expect("subscribed"))["members"]["me"] == "ada"
                joined = await receiver.events(2)
                await client.send({"cmd": "subscribe", "channel": "lobby"})
                await client.expect("subscribed")
                occupied = await receiver.events(2)
                await client.send(
                    {
                        "cmd": "client_event",
                        "channel": "presence-room",
                        "event": "client-hello",
                        "data": {"hi": "there", "n": 1},
                    }
                )
                assert (await client.expect("client_event_sent"))["ok"] is True
                sent = await receiver.events(1)
                await client.send({"cmd": "quit"})
                assert await client.finish() == 0
            finally:
                await client.stop()
            left = await receiver.events(3)
            # Once each: nothing more arrives once the delays and batches are over.
            assert await receiver.quiet(DELAY + 4 * WINDOW) == []
    finally:
        await receiver.stop()

    assert [*joined, *occupied, *sent, *left] == [
        {"name": "channel_occupied", "channel": "presence-room"},
        {"name": "member_added", "channel": "presence-room", "user_id": "ada"},
        {"name": "channel_occupied", "channel": "lobby"},
        {"name": "subscription_count", "channel": "lobby", "subscription_count": 1},
        {
            "name": "client_event",
            "channel": "presence-room",
            "event": "client-hello",
            "data": '{"hi":"there","n":1}',
            "socket_id": socket_id,
            "user_id": "ada",
        },
        {"name": "channel_vacated", "channel": "lobby"},
        {"name": "member_removed", "channel": "presence-room", "user_id": "ada"},
        {"name": "channel_vacated", "channel": "presence-room"},
    ]
    deliveries = receiver.deliveries
    assert all(d.status == 200 for d in deliveries)

    # The official Node SDK accepts every one, and reads the same events and time from it...
    checks = await node_checks(deliveries, APP.secret)
    assert [c["valid"] for c in checks] == [True] * len(deliveries)
    assert [c["events"] for c in checks] == [d.events for d in deliveries]
    assert [c["time_ms"] for c in checks] == [d.json["time_ms"] for d in deliveries]
    # ...and refuses them under another secret, so its yes means something.
    refused = await node_checks(deliveries[:1], "not-the-secret")
    assert refused[0]["valid"] is False

    # The official Python SDK's validate_webhook agrees.
    sdk = pusher_sdk.Pusher(app_id=APP.app_id, key=APP.key, secret=APP.secret)
    for delivery in deliveries:
        validated = sdk.validate_webhook(
            delivery.headers["x-pusher-key"],
            delivery.headers["x-pusher-signature"],
            delivery.body.decode(),
        )
        assert validated == json.loads(delivery.body)
    wrong = pusher_sdk.Pusher(app_id=APP.app_id, key=APP.key, secret="not-the-secret")
    first = deliveries[0]
    assert (
        wrong.validate_webhook(
            first.headers["x-pusher-key"], first.headers["x-pusher-signature"], first.body.decode()
        )
        is None
    )
