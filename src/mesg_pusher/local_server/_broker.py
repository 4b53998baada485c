"""The live server's one shared object: it joins each app's `AppState` to the open websockets,
delivers events, keeps the last event of each cache channel (`ChannelCache`), answers ``info``
from the real subscription state, counts each app's messages (`DailyMessages`) and feeds the
debug console.

State changes happen between awaits, so they are atomic on the event loop. Nothing waits on a
socket: each has an outbox, bounded in messages and in bytes, that its own writer task empties
in order, so a subscriber that stops reading delays nobody else. One whose outbox fills is
closed with 4100 (over capacity), as Pusher drops connections that cannot keep up; one that
fails while being written to is dropped, never the publisher's request. Whenever the server
ends a connection it says why (`Peer.ended`), which is what the debug console shows for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
import struct
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import web

from ..pusher import App, limits
from . import _protocol as protocol
from ._api_rules import APP_DISABLED, OVER_QUOTA, Publish
from ._cache import ChannelCache, is_cache_channel
from ._config import AppOptions, ServerSettings
from ._debug_feed import DebugFeed, preview
from ._fault_injection import WS_DROP, FaultDraws
from ._quotas import ClientEventRate, DailyMessages
from ._state import AppState, Joined, Left, is_presence
from ._webhook_sender import WebhookSender

#: Messages waiting for one socket before it counts as not keeping up.
MAX_OUTBOX: Final = 1024
#: Bytes of messages (as Python holds them) waiting for one socket before it counts as not
#: keeping up: about 130 relayed client events of 10 KB that JSON escaped six times over.
MAX_OUTBOX_BYTES: Final = 8 * 1024 * 1024
#: How long a socket being closed may take to write what it was sent before.
CLOSE_FLUSH_SECONDS: Final = 1.0
#: How long a close frame may take to be written and answered before the connection is reset.
CLOSE_HANDSHAKE_SECONDS: Final = 3.0
OVER_CAPACITY: Final = 4100
#: The server stopping: clients reconnect at once (Pusher's 4200 range).
SHUTTING_DOWN: Final = 4200
#: What a connection the client closed, or that broke, is said to have ended with.
CLOSED_BY_CLIENT: Final = "closed by the client"


def random_socket_id() -> str:
    return f"{secrets.randbelow(10**9) + 1}.{secrets.randbelow(10**9) + 1}"


def reset(transport: asyncio.Transport | None) -> None:
    """End a TCP connection at once with a reset (RST), as a connection lost in a network
    does: nothing more is written or read on it. A transport already closing is reset too: a
    graceful close waits for its buffer to be written, which a client reading nothing never
    lets happen."""
    if transport is None:
        return
    raw = transport.get_extra_info("socket")
    if raw is not None:
        with contextlib.suppress(OSError):
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


@dataclass(slots=True)
class Peer:
    """An open websocket and who it belongs to."""

    ws: web.WebSocketResponse
    app: App
    remote: str
    connected_at: float
    transport: asyncio.Transport | None = None
    outbox: asyncio.Queue[str] = field(default_factory=lambda: asyncio.Queue(MAX_OUTBOX))
    #: Bytes the messages in `outbox` hold.
    queued_bytes: int = 0
    writer: asyncio.Task[None] | None = None
    closing: bool = False
    #: Why the server ended the connection, and the close code it sent (None: no close frame).
    ended: str | None = None
    end_code: int | None = None
    #: An injected fault that ended it.
    fault: str | None = None
    client_events: ClientEventRate = field(default_factory=ClientEventRate)
    #: Closes a connection of a ``user-auth`` app that has not signed in in time.
    signin_deadline: asyncio.TimerHandle | None = None


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
        #: Faults injected on demand (``--fault``), drawn by the edges at each chance.
        self.faults = FaultDraws(settings.faults, settings.fault_seed)
        #: Each app's messages today, as Pusher counts them, against ``--quota``.
        self.messages = DailyMessages(settings.quota)
        #: Sends the apps' webhooks when URLs are configured; told of every change below.
        self.webhooks = (
            WebhookSender(
                settings, self.debug, faults=self.faults, count=self._count, wall_clock=clock
            )
            if settings.webhooks
            else None
        )

    def state(self, app: App) -> AppState:
        return self._states[app.app_id]

    def options(self, app: App) -> AppOptions:
        return self.settings.options_of(app.app_id)

    # --- usage -------------------------------------------------------------------------------

    def _count(self, app_id: str, messages: int) -> None:
        if messages:
            self.messages.add(app_id, messages, self.clock())

    def count(self, app: App, messages: int) -> None:
        """`messages` more of `app`'s messages today (an API call, a client event sent)."""
        self._count(app.app_id, messages)

    def refusal_403(self, app: App) -> str | None:
        """Why `app`'s HTTP API answers 403 now (disabled, or over its quota), or None."""
        if app.app_id in self.settings.disabled:
            return APP_DISABLED
        if self.messages.over(app.app_id, self.clock()):
            return OVER_QUOTA
        return None

    def cache(self, app: App) -> ChannelCache:
        return self._caches[app.app_id]

    # --- connections -------------------------------------------------------------------------

    def attach(
        self,
        app: App,
        ws: web.WebSocketResponse,
        remote: str,
        transport: asyncio.Transport | None = None,
    ) -> str:
        socket_id = self._new_socket_id()
        while socket_id in self._peers:
            socket_id = self._new_socket_id()
        peer = Peer(ws, app, remote, self.clock(), transport)
        peer.writer = asyncio.create_task(_write(peer))
        self._peers[socket_id] = peer
        self.state(app).connect(socket_id)
        if self.options(app).user_auth:
            peer.signin_deadline = asyncio.get_running_loop().call_later(
                self.settings.signin_timeout, self._signin_overdue, socket_id
            )
        self.debug.record(
            "connection", app=app.app_id, socket_id=socket_id, action="open", remote=remote
        )
        self.debug.state_changed()
        return socket_id

    async def detach(self, socket_id: str, reason: str = CLOSED_BY_CLIENT) -> None:
        """Forget a connection that ended; `reason` is the edge's word for how, unless the
        server ended it, whose own reason wins."""
        peer = self._peers.pop(socket_id, None)
        if peer is None:
            return
        if peer.writer is not None:
            peer.writer.cancel()
        if peer.signin_deadline is not None:
            peer.signin_deadline.cancel()
        left = self.state(peer.app).disconnect(socket_id)
        fields: dict[str, Any] = {"code": peer.end_code} if peer.end_code is not None else {}
        if peer.fault is not None:
            fields["fault"] = peer.fault
        self.debug.record(
            "connection",
            app=peer.app.app_id,
            socket_id=socket_id,
            action="close",
            reason=peer.ended or reason,
            by="server" if peer.ended else "client",
            **fields,
        )
        self.debug.state_changed()
        await self._announce_leaving(peer.app, left)

    async def _announce_leaving(self, app: App, left: Iterable[Left]) -> None:
        for item in left:
            if self.webhooks is not None:
                self.webhooks.left(app, item, self._webhook_count(app, item.channel))
            if item.member_removed is not None:
                text = protocol.member_removed(item.channel, item.member_removed)
                await self.broadcast(app, item.channel, text)
            if not item.vacated:
                await self._send_subscription_count(app, item.channel)

    def _webhook_count(self, app: App, channel: str) -> int | None:
        """The subscription count a webhook may report, for apps that count subscriptions."""
        if not self.options(app).subscription_count:
            return None
        return self.state(app).subscription_count(channel)

    async def _send_subscription_count(self, app: App, channel: str) -> None:
        """``pusher_internal:subscription_count`` to every subscriber of `channel`, for apps
        with the ``subscription-count`` option; never on presence channels (members say it)."""
        if not self.options(app).subscription_count or is_presence(channel):
            return
        count = self.state(app).subscription_count(channel)
        if count:
            await self.broadcast(app, channel, protocol.subscription_count(channel, count))

    def send(self, socket_id: str, text: str) -> bool:
        """Queue `text` for the socket, in order; never waits. False if it is gone."""
        peer = self._peers.get(socket_id)
        if peer is None or peer.closing or peer.ws.closed:
            return False
        if self.faults and self.faults.draw(WS_DROP) is not None:
            self._drop(peer)
            return False
        size = sys.getsizeof(text)
        if peer.queued_bytes + size > MAX_OUTBOX_BYTES or peer.outbox.full():
            peer.closing = True
            message = "Over capacity: the connection does not read its messages"
            self._end(peer, OVER_CAPACITY, message)
            closer = asyncio.create_task(_close(peer, OVER_CAPACITY, message, flush=False))
            self._closers.add(closer)
            closer.add_done_callback(self._closers.discard)
            return False
        peer.queued_bytes += size
        peer.outbox.put_nowait(text)
        return True

    def _drop(self, peer: Peer) -> None:
        """An injected ``ws-drop``: the connection is lost, no close frame, as in a network."""
        peer.closing = True
        peer.ended = "dropped by an injected fault (ws-drop): no close frame"
        peer.fault = WS_DROP
        reset(peer.transport)

    @staticmethod
    def _end(peer: Peer, code: int, message: str) -> None:
        if peer.ended is None:
            peer.ended = message
            peer.end_code = code

    async def broadcast(self, app: App, channel: str, text: str, exclude: str | None = None) -> int:
        reached = sum(
            self.send(socket_id, text) for socket_id in self.state(app).recipients(channel, exclude)
        )
        self._count(app.app_id, reached)  # each subscriber reached is one of Pusher's messages
        return reached

    async def close_socket(
        self, socket_id: str, code: int, message: str, *, why: str | None = None
    ) -> None:
        """Send Pusher's error frame, let the socket write what it was sent, then close it.
        `why` is what the console says of it, when more than the close frame's `message`."""
        peer = self._peers.get(socket_id)
        if peer is None or peer.closing:
            return
        self.send(socket_id, protocol.error(message, code))
        peer.closing = True
        self._end(peer, code, why or message)
        await _close(peer, code, message, flush=True)

    def _signin_overdue(self, socket_id: str) -> None:
        peer = self._peers.get(socket_id)
        if peer is None or self.state(peer.app).user_of(socket_id) is not None:
            return
        seconds = f"{self.settings.signin_timeout:g}"
        closer = asyncio.create_task(
            self.close_socket(
                socket_id,
                protocol.UNAUTHORIZED,
                "Connection not authorized within timeout",
                why=f"not signed in within {seconds} s (the app has user-auth)",
            )
        )
        self._closers.add(closer)
        closer.add_done_callback(self._closers.discard)

    def client_event_allowed(self, socket_id: str) -> bool:
        """Whether the connection may send one more client event now (Pusher: 10 a second)."""
        peer = self._peers.get(socket_id)
        return peer is not None and peer.client_events.allow(self.clock())

    def signed_in(self, app: App, socket_id: str, user_id: str) -> None:
        self.state(app).sign_in(socket_id, user_id)
        peer = self._peers.get(socket_id)
        if peer is not None and peer.signin_deadline is not None:
            peer.signin_deadline.cancel()
            peer.signin_deadline = None

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
            self.webhooks.joined(app, sub.channel, joined, self._webhook_count(app, sub.channel))
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
            await self._send_subscription_count(app, sub.channel)
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
        """A client event was relayed: it is one of the app's messages, and the apps' webhooks
        hear of it."""
        self._count(app.app_id, 1)
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
                reached = [
                    self.send(socket_id, text)
                    for socket_id in state.user_sockets(user_id)
                    if socket_id != publish.socket_id
                ]
                self._count(app.app_id, sum(reached))
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
                socket_id,
                protocol.UNAUTHORIZED,
                "Connection terminated by the app",
                why=f"terminated by the app (terminate_connections for user {user_id})",
            )
        return len(sockets)

    def record_api(
        self,
        app_id: str,
        *,
        method: str,
        path: str,
        status: int | None,
        message: str,
        events: Iterable[Publish] = (),
        source: str = "api",
        fault: str | None = None,
    ) -> None:
        fields: dict[str, Any] = {"fault": fault} if fault is not None else {}
        self.debug.record(
            "api",
            app=app_id,
            method=method,
            path=path,
            status=status,
            message=message,
            source=source,
            **fields,
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
        """Apps (id, key and options, never the secret; messages today), connections and
        occupied channels, and the faults injected."""
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
        now = self.clock()
        apps = [
            {
                "id": app.app_id,
                "key": app.key,
                "options": list(self.options(app).names),
                "messages_today": self.messages.today(app.app_id, now),
                "quota": self.settings.quota,
                "disabled": app.app_id in self.settings.disabled,
            }
            for app in self.settings.apps
        ]
        faults = [str(fault) for fault in self.faults.faults]
        return {"apps": apps, "connections": connections, "channels": channels, "faults": faults}

    @property
    def socket_ids(self) -> list[str]:
        return list(self._peers)

    async def close_all(
        self, code: int = SHUTTING_DOWN, message: str = "Server shutting down"
    ) -> None:
        for socket_id in list(self._peers):
            peer = self._peers.get(socket_id)
            if peer is not None and not peer.ws.closed:
                self._end(peer, code, "the server is stopping")
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await peer.ws.close(code=code, message=message.encode())
        self.debug.close()


async def _write(peer: Peer) -> None:
    """Empty the socket's outbox in order, until the socket fails or is detached."""
    try:
        while True:
            text = await peer.outbox.get()
            peer.queued_bytes -= sys.getsizeof(text)
            await peer.ws.send_str(text)
            peer.outbox.task_done()
    except (ConnectionError, RuntimeError):
        peer.closing = True  # the connection's own coroutine sees it closed and detaches it


async def _close(peer: Peer, code: int, message: str, *, flush: bool) -> None:
    if flush:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(CLOSE_FLUSH_SECONDS):
                await peer.outbox.join()
    try:
        async with asyncio.timeout(CLOSE_HANDSHAKE_SECONDS):
            await peer.ws.close(code=code, message=protocol.close_reason(message))
    except TimeoutError:
        # A client that reads nothing cannot take a close frame either: its connection is
        # reset, or it would be held open (with what waits for it) for ever.
        reset(peer.transport)
    except (ConnectionError, RuntimeError):
        pass
