"""`PusherClient` against Pusher-protocol servers on 127.0.0.1: the local server, whose
subscriber sees what was published and whose API checks every signature as Pusher does, and
soketi, a third-party server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mesg_pusher import PusherHTTPError
from mesg_pusher.local_server import LocalServer, ServerSettings, Subscriber
from mesg_pusher.pusher import PusherClient
from tests.local_server.conftest import APP, Soketi, running_soketi

pytestmark = pytest.mark.integration


def client(port: int) -> PusherClient:
    return PusherClient(
        app_id=APP.app_id, key=APP.key, secret=APP.secret, host="127.0.0.1", port=port, tls=False
    )


@pytest.fixture
async def server() -> AsyncIterator[LocalServer]:
    async with LocalServer(ServerSettings(apps=(APP,))) as running:
        yield running


@pytest.fixture
async def soketi(tmp_path: Path) -> AsyncIterator[Soketi]:
    async with running_soketi(tmp_path) as running:
        yield running


async def test_every_call_against_the_local_server(server: LocalServer) -> None:
    async with (
        await Subscriber.connect(server.ws_url, APP.key) as subscriber,
        client(server.port) as pusher,
    ):
        await subscriber.subscribe("news")
        assert await pusher.trigger("news", "hello", {"n": 1}, info="subscription_count") == {
            "channels": {"news": {"subscription_count": 1}}
        }
        assert (await subscriber.next_event()).json() == {"n": 1}
        batch = [{"channel": "news", "name": "two", "data": "x"}]
        assert await pusher.trigger_batch(batch) == {}
        assert (await subscriber.next_event()).event == "two"
        assert await pusher.channels() == {"channels": {"news": {}}}
        assert (await pusher.channel("news", info="subscription_count"))["occupied"] is True
        assert await pusher.terminate_user_connections("ada") == {}
        assert await pusher.users("presence-empty") == {"users": []}


async def test_a_refused_signature_carries_the_servers_status_and_body(server: LocalServer) -> None:
    async with PusherClient(
        app_id=APP.app_id, key=APP.key, secret="not-the-secret", host="127.0.0.1",
        port=server.port, tls=False,
    ) as pusher:  # fmt: skip
        with pytest.raises(PusherHTTPError) as caught:
            await pusher.trigger("news", "e", "x")
    assert caught.value.status == 401
    assert caught.value.body


async def test_trigger_against_soketi(soketi: Soketi) -> None:
    async with client(soketi.port) as pusher:
        assert await pusher.trigger("news", "hello", {"n": 1}) == {"ok": True}
        assert "channels" in await pusher.channels()
