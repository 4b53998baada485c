"""A connection that stops reading, and one dropped by an injected fault: the first is closed with
4100 once its outbox holds its bound in bytes (long before the bound in messages), the second
ends with no close frame, and the console says why for both."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import time

import pytest

from mesg_pusher.local_server import (
    AppOptions,
    Fault,
    LocalServer,
    Publish,
    ServerSettings,
    Subscriber,
    SubscriberError,
)
from mesg_pusher.local_server._broker import MAX_OUTBOX, MAX_OUTBOX_BYTES
from mesg_pusher.local_server._fault_injection import WS_DROP, FaultDraws
from mesg_pusher.pusher import channel_auth
from tests.runtime.conftest import until

from .conftest import APP

pytestmark = pytest.mark.integration

CHANNEL = "private-flood"


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def masked(text: str) -> bytes:
    """A client's text frame (masked with a zero key, as the protocol allows)."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        head = bytes([0x81, 0x80 | size])
    elif size < 65536:
        head = bytes([0x81, 0x80 | 126]) + size.to_bytes(2, "big")
    else:
        head = bytes([0x81, 0x80 | 127]) + size.to_bytes(8, "big")
    return head + b"\x00\x00\x00\x00" + payload


async def reader_that_stops(port: int) -> tuple[asyncio.StreamWriter, str]:
    """A websocket client that subscribes to CHANNEL, then never reads again."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    raw = writer.get_extra_info("socket")
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /app/{APP.key}?protocol=7 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    await reader.readuntil(b"\r\n\r\n")
    head = await reader.readexactly(2)
    size = head[1] & 127
    if size == 126:
        size = int.from_bytes(await reader.readexactly(2), "big")
    first = json.loads(await reader.readexactly(size))
    socket_id = json.loads(first["data"])["socket_id"]
    auth = channel_auth(key=APP.key, secret=APP.secret, socket_id=socket_id, channel=CHANNEL)
    subscribe = {"event": "pusher:subscribe", "data": {"channel": CHANNEL, "auth": auth}}
    writer.write(masked(json.dumps(subscribe)))
    await writer.drain()
    return writer, socket_id


async def test_a_connection_that_stops_reading_is_closed_at_its_bound_in_bytes() -> None:
    clock = Clock()  # the sender's client events all fall in one second, moved on by hand
    settings = ServerSettings(apps=(APP,), app_options={APP.app_id: AppOptions(client_events=True)})
    async with (
        LocalServer(settings, clock=clock) as server,
        await Subscriber.connect(server.ws_url, APP.key) as sender,
    ):
        stuck, stuck_id = await reader_that_stops(server.port)
        try:
            await until(lambda: server.broker.state(APP).is_subscribed(stuck_id, CHANNEL))
            await sender.subscribe_signed(CHANNEL, APP)
            # 10 KB of data that JSON writes six times over: about 60 KB a relayed frame, so
            # 400 of them (24 MB) pass the bound in bytes well before the bound in messages.
            data = "\x01" * 10_000
            for _ in range(40):
                clock.now += 1.0  # ten a second: the client-event limit is not what is tested
                for _ in range(10):
                    await sender.trigger(CHANNEL, "client-flood", data)
                await sender.ping()  # the server has read these ten before the clock moves
            assert MAX_OUTBOX > 400
            await until(lambda: stuck_id not in server.broker.socket_ids)
        finally:
            stuck.close()
    closes = [
        e
        for e in server.broker.debug.history
        if e.get("action") == "close" and e["socket_id"] == stuck_id
    ]
    assert [(e["by"], e.get("code")) for e in closes] == [("server", 4100)]
    assert closes[0]["reason"] == "Over capacity: the connection does not read its messages"
    assert MAX_OUTBOX_BYTES == 8 * 1024 * 1024


def seed_for(wanted: list[bool]) -> int:
    for seed in range(10_000):
        draws = FaultDraws([Fault(WS_DROP, 0.5)], seed)
        if [draws.draw(WS_DROP) is not None for _ in wanted] == wanted:
            return seed
    raise AssertionError("no seed found")  # pragma: no cover


async def test_an_injected_drop_ends_a_connection_without_a_close_frame() -> None:
    # Frames sent: connection_established, subscription_succeeded, then the event: dropped.
    seed = seed_for([False, False, True])
    settings = ServerSettings(apps=(APP,), faults=(Fault(WS_DROP, 0.5),), fault_seed=seed)
    async with LocalServer(settings) as server:
        sub = await Subscriber.connect(server.ws_url, APP.key)
        async with sub:
            await sub.subscribe("news")
            await server.broker.publish(APP, Publish("e", "{}", ("news",)))
            with pytest.raises(SubscriberError):
                await sub.next_event()
            assert sub.close_code in (None, 1006)  # no close frame from the server
        await until(lambda: not server.broker.socket_ids)
    closes = [e for e in server.broker.debug.history if e.get("action") == "close"]
    assert [(e["by"], e["reason"], e.get("fault")) for e in closes] == [
        ("server", "dropped by an injected fault (ws-drop): no close frame", WS_DROP)
    ]
