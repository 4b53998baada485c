"""The official Python SDK (PyPI ``pusher``) against the local server: its signatures are
accepted, a wrong secret or key is refused as Pusher refuses it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import pusher
import pusher.errors
import pytest

from mesg_pusher.local_server import LocalServer, Subscriber

from .conftest import APP

T = TypeVar("T")


def sdk(server: LocalServer, *, key: str = APP.key, secret: str = APP.secret) -> pusher.Pusher:
    return pusher.Pusher(
        app_id=APP.app_id, key=key, secret=secret, host="127.0.0.1", port=server.port, ssl=False
    )


async def off_loop(call: Callable[[], T]) -> T:
    # The SDK blocks; the server runs on this loop, so the SDK runs in a thread.
    return await asyncio.to_thread(call)


async def test_trigger_and_batch_are_accepted_and_delivered(server: LocalServer) -> None:
    client = sdk(server)
    async with await Subscriber.connect(server.ws_url, APP.key) as sub:
        await sub.subscribe("sdk-channel")
        assert await off_loop(lambda: client.trigger("sdk-channel", "one", {"n": 1})) == {}
        event = await sub.next_event()
        assert (event.event, event.json()) == ("one", {"n": 1})
        batch: list[dict[str, Any]] = [
            {"channel": "sdk-channel", "name": f"b{i}", "data": str(i)} for i in range(3)
        ]
        assert await off_loop(lambda: client.trigger_batch(batch)) == {}
        assert [(await sub.next_event()).event for _ in range(3)] == ["b0", "b1", "b2"]
        info = await off_loop(lambda: client.channel_info("sdk-channel", ["subscription_count"]))
        assert info == {"occupied": True, "subscription_count": 1}
        assert await off_loop(client.channels_info) == {"channels": {"sdk-channel": {}}}


async def test_wrong_secret_is_refused_with_401(server: LocalServer) -> None:
    client = sdk(server, secret="not-the-secret")
    with pytest.raises(pusher.errors.PusherBadAuth, match="Invalid signature: you should have"):
        await off_loop(lambda: client.trigger("c", "e", "x"))
    with pytest.raises(pusher.errors.PusherBadAuth):
        await off_loop(lambda: client.trigger_batch([{"channel": "c", "name": "e", "data": "x"}]))


async def test_wrong_key_is_refused_with_400(server: LocalServer) -> None:
    client = sdk(server, key="not-the-key")
    with pytest.raises(pusher.errors.PusherBadRequest, match="Unknown auth_key"):
        await off_loop(lambda: client.trigger("c", "e", "x"))


async def test_sdk_channel_auth_subscribes(server: LocalServer) -> None:
    client = sdk(server)
    async with await Subscriber.connect(server.ws_url, APP.key) as sub:
        auth = client.authenticate(channel="private-sdk", socket_id=sub.socket_id)
        await sub.subscribe("private-sdk", auth=auth["auth"])
        presence = client.authenticate(
            channel="presence-sdk",
            socket_id=sub.socket_id,
            custom_data={"user_id": "7", "user_info": {"name": "Seven"}},
        )
        joined = await sub.subscribe(
            "presence-sdk", auth=presence["auth"], channel_data=presence["channel_data"]
        )
        assert joined.json()["presence"]["hash"] == {"7": {"name": "Seven"}}
