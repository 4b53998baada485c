"""The live server's one shared object: it joins each app's `AppState` to the open websockets,
delivers events, keeps the last event of each cache channel (`ChannelCache`), answers ``info``
from the real subscription state and feeds the debug console.

State changes happen between awaits, so they are atomic on the event loop. Nothing waits on a
socket: each has an outbox (bounded) that its own writer task empties in order, so a subscriber
that stops reading delays nobody else. One whose outbox fills is closed with 4100 (over
capacity), as Pusher drops connections that cannot keep up; one that fails while being written
to is dropped, never the publisher's request.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import web

from ..pusher import App, limits
from . import _protocol as protocol
from ._api_rules import Publish
from ._cache import ChannelCache, is_cache_channel
from ._config import ServerSettings
from ._debug_feed import DebugFeed, preview
from ._state import AppState, Joined, Left, is_presence
from ._webhooks import WebhookSender

#: Messages waiting for one socket before it counts as not keeping up.
MAX_OUTBOX: Final = 1024
#: How long a socket being closed may take to write what it was sent before.
CLOSE_FLUSH_SECONDS: Final = 1.0
OVER_CAPACITY: Final = 4100


def random_socket_id() -> str:
    return f"{secrets.randbelow(10**9) + 1}.{secrets.randbelow(10**9) + 1}"


@dataclass(slots=True)
class Peer:
    """An open websocket and who it belongs to."""

    ws: web.WebSocketResponse
    app: App
    remote: str
    connected_at: float
    outbox: asyncio.Queue[str] = field(default_factory=lambda: asyncio.Queue(MAX_OUTBOX))
    writer: asyncio.Task[None] | None = None
    closing: bool = False


class Broker:
    """Apps, their subscription state and their open sockets."""

    def __init__(
        self,
        settings: ServerSettings,
        *,
        clock: Callable[[], float] = time.time,
        new_socket_id: Callable[[], str] = random_socket_id,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._new_socket_id = new_socket_id
        self._states = {app.app_id: AppState() for app in settings.apps}
        self._caches = {app.app_id: ChannelCache(settings.cache_ttl) for app in settings.apps}
        self._peers: dict[str, Peer] = {}
        self._closers: set[asyncio.Task[None]] = set()
        self.debug = DebugFeed(settings.debug_history, clock, self.snapshot)
        #: Sends the apps' webhooks when URLs are configured; told of every change below.
        self.webhooks = (
            WebhookSender(settings, self.debug, wall_clock=clock) if settings.webhooks else None
        )

    def state(self, app: App) -> AppState:
        return self._states[app.app_id]

    def cache(self, app: App) -> ChannelCache:
        return self._caches[app.app_id]

    # --- connections -------------------------------------------------------------------------

    def attach(self, app: App, ws: web.WebSocketResponse, remote: str) -> str:
        socket_id = self._new_socket_id()
        while socket_id in self._peers:
            socket_id = self._new_socket_id()
        peer = Peer(ws, app, remote, self.clock())
        peer.writer = asyncio.create_task(_write(peer))
        self._peers[socket_id] = peer
        self.state(app).connect(socket_id)
        self.debug.record(
            "connection", app=app.app_id, socket_id=socket_id, action="open", remote=remote
        )
        self.debug.state_changed()
        return socket_id

    async def detach(self, socket_id: str, reason: str = "") -> None:
        peer = self._peers.pop(socket_id, None)
        if peer is None:
            return
        if peer.writer is not None:
            peer.writer.cancel()
        left = self.state(peer.app).disconnect(socket_id)
        self.debug.record(
            "connection", app=peer.app.app_id, socket_id=socket_id, action="close", reason=reason
        )
        self.debug.state_changed()
        await self._announce_leaving(peer.app, left)

    async def _announce_leaving(self, app: App, left: Iterable[Left]) -> None:
        for item in left:
            if self.webhooks is not None:
                count = self.state(app).subscription_count(item.channel)
                self.webhooks.left(app, item, count)
            if item.member_removed is not None:
                text = protocol.member_removed(item.channel, item.member_removed)
                await self.broadcast(app, item.channel, text)

    def send(self, socket_id: str, text: str) -> bool:
        """Queue `text` for the socket, in order; never waits. False if it is gone."""
        peer = self._peers.get(socket_id)
        if peer is None or peer.closing or peer.ws.closed:
            return False
        try:
            peer.outbox.put_nowait(text)
        except asyncio.QueueFull:
            peer.closing = True
            message = "Over capacity: the connection does not read its messages"
            closer = asyncio.create_task(_close(peer, OVER_CAPACITY, message, flush=False))
            self._closers.add(closer)
            closer.add_done_callback(self._closers.discard)
            return False
        return True

    async def broadcast(self, app: App, channel: str, text: str, exclude: str | None = None) -> int:
        return sum(
            self.send(socket_id, text) for socket_id in self.state(app).recipients(channel, exclude)
        )

    async def close_socket(self, socket_id: str, code: int, message: str) -> None:
        """Send Pusher's error frame, let the socket write what it was sent, then close it."""
        peer = self._peers.get(socket_id)
        if peer is None or peer.closing:
            return
        self.send(socket_id, protocol.error(message, code))
        peer.closing = True
        await _close(peer, code, message, flush=True)

    # --- subscriptions -----------------------------------------------------------------------

    async def subscribe(self, app: App, socket_id: str, sub: protocol.SubscribeRequest) -> Joined:
        if sub.channel.startswith(limits.SERVER_TO_USER_PREFIX):
            # The user's own channel, not one of the app's: its events reach the sockets signed
            # in as that user (see `publish`), so it joins no channel and is never occupied.
            self.send(socket_id, protocol.subscription_succeeded(sub.channel))
            self._record_subscription(
                app, socket_id, sub.channel, "subscribed", self.state(app).user_of(socket_id)
            )
            return Joined(already_subscribed=False)
        state = self.state(app)
        joined = state.subscribe(socket_id, sub.channel, sub.member)
        if self.webhooks is not None:
            count = state.subscription_count(sub.channel)
            self.webhooks.joined(app, sub.channel, joined, count)
        presence = state.presence(sub.channel) if is_presence(sub.channel) else None
        self.send(socket_id, protocol.subscription_succeeded(sub.channel, presence))
        if is_cache_channel(sub.channel):
            self._send_cached(app, socket_id, sub.channel)
        if joined.member_added is not None:
            text = protocol.member_added(sub.channel, joined.member_added)
            await self.broadcast(app, sub.channel, text, exclude=socket_id)
        if not joined.already_subscribed:
            user_id = sub.member.user_id if sub.member else None
            self._record_subscription(app, socket_id, sub.channel, "subscribed", user_id)
        return joined

    def _send_cached(self, app: App, socket_id: str, channel: str) -> None:
        """Right after ``subscription_succeeded``: the channel's last event as it was
        published, or ``pusher:cache_miss`` and a ``cache_miss`` webhook."""
        cached = self.cache(app).get(channel, self.clock())
        if cached is not None:
            self.send(socket_id, protocol.event(cached.name, channel, cached.data))
        else:
            self.send(socket_id, protocol.cache_miss(channel))
            if self.webhooks is not None:
                self.webhooks.cache_miss(app, channel)
        fields = {"event": cached.name} if cached is not None else {}
        self.debug.record(
            "cache",
            app=app.app_id,
            socket_id=socket_id,
            channel=channel,
            action="miss" if cached is None else "hit",
            **fields,
        )

    async def unsubscribe(self, app: App, socket_id: str, channel: str) -> None:
        left = self.state(app).unsubscribe(socket_id, channel)
        if left is None:
            return
        self._record_subscription(app, socket_id, channel, "unsubscribed")
        await self._announce_leaving(app, [left])

    def _record_subscription(
        self, app: App, socket_id: str, channel: str, action: str, user_id: str | None = None
    ) -> None:
        fields = {"user_id": user_id} if action == "subscribed" else {}
        self.debug.record(
            "subscription",
            app=app.app_id,
            socket_id=socket_id,
            channel=channel,
            action=action,
            **fields,
        )
        self.debug.state_changed()

    def client_event_sent(
        self,
        app: App,
        *,
        socket_id: str,
        channel: str,
        event: str,
        data: Any,
        user_id: str | None,
    ) -> None:
        """A client event was relayed: the apps' webhooks hear of it."""
        if self.webhooks is not None:
            self.webhooks.client_event(
                app, channel=channel, event=event, data=data, socket_id=socket_id, user_id=user_id
            )

    # --- publishing --------------------------------------------------------------------------

    async def publish(self, app: App, publish: Publish) -> dict[str, dict[str, Any]]:
        """Deliver one event to its channels; the ``info`` answer per channel (maybe empty)."""
        state = self.state(app)
        cache, now = self.cache(app), self.clock()
        for channel in publish.channels:
            cache.put(channel, publish.name, publish.data, now)
            text = protocol.event(publish.name, channel, publish.data)
            if channel.startswith(limits.SERVER_TO_USER_PREFIX):
                user_id = channel[len(limits.SERVER_TO_USER_PREFIX) :]
                for socket_id in state.user_sockets(user_id):
                    if socket_id != publish.socket_id:
                        self.send(socket_id, text)
            else:
                await self.broadcast(app, channel, text, exclude=publish.socket_id)
        if not publish.info:
            return {}
        return {
            channel: self.channel_info(app, channel, publish.info) for channel in publish.channels
        }

    def channel_info(self, app: App, channel: str, attributes: Iterable[str]) -> dict[str, Any]:
        state = self.state(app)
        info: dict[str, Any] = {}
        for attribute in sorted(attributes):
            if attribute == "subscription_count":
                info[attribute] = state.subscription_count(channel)
            elif attribute == "user_count" and is_presence(channel):
                info[attribute] = state.user_count(channel)
            elif attribute == "cache" and is_cache_channel(channel):
                # Pusher: the cached data and its TTL, or null when the cache is empty.
                now = self.clock()
                cached = self.cache(app).get(channel, now)
                info[attribute] = cached.answer(now) if cached is not None else None
        return info

    async def terminate_user(self, app: App, user_id: str) -> int:
        sockets = self.state(app).user_sockets(user_id)
        for socket_id in sockets:
            await self.close_socket(
                socket_id, protocol.UNAUTHORIZED, "Connection terminated by the app"
            )
        return len(sockets)

    def record_api(
        self,
        app_id: str,
        *,
        method: str,
        path: str,
        status: int,
        message: str,
        events: Iterable[Publish] = (),
        source: str = "api",
    ) -> None:
        self.debug.record(
            "api",
            app=app_id,
            method=method,
            path=path,
            status=status,
            message=message,
            source=source,
            events=[
                {
                    "name": e.name,
                    "channels": list(e.channels),
                    "data": preview(e.data),
                    "socket_id": e.socket_id,
                }
                for e in events
            ],
        )

    # --- reading -----------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Apps (id and key, never the secret), connections and occupied channels."""
        connections = []
        for socket_id, peer in self._peers.items():
            state = self.state(peer.app)
            connections.append(
                {
                    "app": peer.app.app_id,
                    "socket_id": socket_id,
                    "remote": peer.remote,
                    "since": peer.connected_at,
                    "user_id": state.user_of(socket_id),
                    "channels": state.channels_of(socket_id),
                }
            )
        channels = []
        for app in self.settings.apps:
            state = self.state(app)
            for name in state.occupied():
                entry: dict[str, Any] = {
                    "app": app.app_id,
                    "name": name,
                    "subscription_count": state.subscription_count(name),
                }
                if is_presence(name):
                    entry["user_count"] = state.user_count(name)
                channels.append(entry)
        return {
            "apps": [{"id": app.app_id, "key": app.key} for app in self.settings.apps],
            "connections": connections,
            "channels": channels,
        }

    @property
    def socket_ids(self) -> list[str]:
        return list(self._peers)

    async def close_all(self, code: int = 4200, message: str = "Server shutting down") -> None:
        for socket_id in list(self._peers):
            peer = self._peers.get(socket_id)
            if peer is not None and not peer.ws.closed:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await peer.ws.close(code=code, message=message.encode())
        self.debug.close()


async def _write(peer: Peer) -> None:
    """Empty the socket's outbox in order, until the socket fails or is detached."""
    try:
        while True:
            text = await peer.outbox.get()
            await peer.ws.send_str(text)
            peer.outbox.task_done()
    except (ConnectionError, RuntimeError):
        peer.closing = True  # the connection's own coroutine sees it closed and detaches it


async def _close(peer: Peer, code: int, message: str, *, flush: bool) -> None:
    if flush:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(CLOSE_FLUSH_SECONDS):
                await peer.outbox.join()
    with contextlib.suppress(ConnectionError, RuntimeError):
        await peer.ws.close(code=code, message=protocol.close_reason(message))
