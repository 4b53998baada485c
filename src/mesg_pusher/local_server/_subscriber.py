"""A small Pusher protocol 7 subscriber over aiohttp websockets, for programs and tests that
want to see events arrive without a browser or npm.

    async with await Subscriber.connect(server.ws_url, app.key) as sub:
        await sub.subscribe("my-channel")
        event = await sub.next_event(within=5)   # ReceivedEvent(event, channel, data, user_id)

It answers the server's ``pusher:ping``; replies to its own requests (subscribe, sign-in, ping)
are matched to the request, and everything else, channel events and errors alike, waits in
arrival order for `next_event`, except ``pusher_internal:subscription_count``, which pusher-js
also keeps to itself: the latest count of each channel is in `subscription_counts`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass
from typing import Any, Final

import aiohttp

from .._errors import MesgPusherError
from .._json import dumps, loads
from .._version import __version__
from ..pusher import App, channel_auth, user_auth

DEFAULT_TIMEOUT: Final = 10.0
CLIENT_NAME: Final = "mesg-pusher-python"


class SubscriberError(MesgPusherError):
    """The server refused something (`code` is Pusher's, None for most), or the link closed."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(f"{message} (code {code})" if code is not None else message)
        self.message = message
        self.code = code


@dataclass(frozen=True, slots=True)
class ReceivedEvent:
    """One frame from the server. `data` is as sent: a string for channel events."""

    event: str
    channel: str | None
    data: Any
    user_id: str | None = None

    def json(self) -> Any:
        """`data` decoded from JSON when it is a string, else as it is."""
        return loads(self.data) if isinstance(self.data, str) else self.data


def presence_data(user_id: str, user_info: Any = None) -> str:
    """The ``channel_data`` string of a presence subscription."""
    data: dict[str, Any] = {"user_id": user_id}
    if user_info is not None:
        data["user_info"] = user_info
    return dumps(data)


class Subscriber:
    """One websocket connection to a Pusher-protocol server; see the module docstring."""

    def __init__(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        session: aiohttp.ClientSession,
        owns_session: bool,
        socket_id: str,
        activity_timeout: float,
        *,
        queue_counts: bool = False,
    ) -> None:
        self._ws = ws
        self._queue_counts = queue_counts
        self._session = session
        self._owns_session = owns_session
        self.socket_id = socket_id
        self.activity_timeout = activity_timeout
        self._events: asyncio.Queue[ReceivedEvent | None] = asyncio.Queue()
        self._waiting: dict[str, asyncio.Future[ReceivedEvent]] = {}
        self._request_lock = asyncio.Lock()
        self._closed: SubscriberError | None = None
        #: The latest ``pusher_internal:subscription_count`` of each channel (apps that count).
        self.subscription_counts: dict[str, int] = {}
        self._counted = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(
        cls,
        base_url: str,
        key: str,
        *,
        session: aiohttp.ClientSession | None = None,
        within: float = DEFAULT_TIMEOUT,
        ssl_context: ssl.SSLContext | None = None,
        queue_counts: bool = False,
    ) -> Subscriber:
        """Connect to ``<base_url>/app/<key>`` (ws://, wss://, http:// or https:// URL) and wait
        for the socket id. `ssl_context` says whom to trust for wss:// (else the system's CAs,
        and ``SSL_CERT_FILE``); it is for the session made here, when none is given. With
        `queue_counts`, subscription counts also wait for `next_event`, as other frames do."""
        url = base_url.rstrip("/").replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        url = f"{url}/app/{key}?protocol=7&client={CLIENT_NAME}&version={__version__}"
        owns = session is None
        if session is None:
            connector = aiohttp.TCPConnector(ssl=ssl_context) if ssl_context else None
            session = aiohttp.ClientSession(connector=connector)
        try:
            ws = await session.ws_connect(url, timeout=aiohttp.ClientWSTimeout(ws_close=within))
            message = await ws.receive(timeout=within)
            first = loads(message.data) if message.type == aiohttp.WSMsgType.TEXT else {}
            if first.get("event") == "pusher:error":
                error = first.get("data") or {}
                raise SubscriberError(str(error.get("message")), error.get("code"))
            if first.get("event") != "pusher:connection_established":
                raise SubscriberError(f"unexpected first message: {message.data!r}")
            established = loads(first["data"])
        except BaseException:
            if owns:
                await session.close()
            raise
        return cls(
            ws,
            session,
            owns,
            str(established["socket_id"]),
            float(established.get("activity_timeout", 120)),
            queue_counts=queue_counts,
        )

    # --- requests ----------------------------------------------------------------------------

    async def subscribe(
        self,
        channel: str,
        *,
        auth: str | None = None,
        channel_data: str | None = None,
        within: float = DEFAULT_TIMEOUT,
    ) -> ReceivedEvent:
        """Subscribe and wait for ``subscription_succeeded`` (its data holds the presence
        members); raises `SubscriberError` with the server's message when refused."""
        data: dict[str, Any] = {"channel": channel}
        if auth is not None:
            data["auth"] = auth
        if channel_data is not None:
            data["channel_data"] = channel_data
        return await self._request(
            "pusher:subscribe", data, "pusher_internal:subscription_succeeded", within
        )

    async def subscribe_signed(
        self,
        channel: str,
        app: App,
        *,
        user_id: str | None = None,
        user_info: Any = None,
        within: float = DEFAULT_TIMEOUT,
    ) -> ReceivedEvent:
        """Subscribe to a private or presence channel, signing the way an app's auth endpoint
        does with `app`'s secret (for tests and demos, where this process holds the secret)."""
        channel_data = presence_data(user_id, user_info) if user_id is not None else None
        auth = channel_auth(
            key=app.key,
            secret=app.secret,
            socket_id=self.socket_id,
            channel=channel,
            channel_data=channel_data,
        )
        return await self.subscribe(channel, auth=auth, channel_data=channel_data, within=within)

    async def unsubscribe(self, channel: str) -> None:
        await self._send("pusher:unsubscribe", {"channel": channel})

    async def signin(
        self, app: App, user_data: dict[str, Any], *, within: float = DEFAULT_TIMEOUT
    ) -> ReceivedEvent:
        """Sign in as the user of `user_data` (it needs an ``id``), signed with `app`'s secret."""
        text = dumps(user_data)
        auth = user_auth(key=app.key, secret=app.secret, socket_id=self.socket_id, user_data=text)
        return await self._request(
            "pusher:signin", {"auth": auth, "user_data": text}, "pusher:signin_success", within
        )

    async def trigger(self, channel: str, event: str, data: Any) -> None:
        """Send a client event (``client-`` name) to the other subscribers of `channel`."""
        await self._ws.send_str(dumps({"event": event, "channel": channel, "data": data}))

    async def ping(self, *, within: float = DEFAULT_TIMEOUT) -> None:
        """Send ``pusher:ping`` and wait for the ``pusher:pong``."""
        await self._request("pusher:ping", {}, "pusher:pong", within)

    async def _request(
        self, event: str, data: dict[str, Any], answer: str, within: float
    ) -> ReceivedEvent:
        # One request at a time: Pusher's errors name no request, so the pending one owns them.
        async with self._request_lock:
            self._raise_if_closed()
            future: asyncio.Future[ReceivedEvent] = asyncio.get_running_loop().create_future()
            self._waiting[answer] = future
            try:
                await self._send(event, data)
                return await asyncio.wait_for(future, within)
            finally:
                self._waiting.pop(answer, None)

    async def _send(self, event: str, data: dict[str, Any]) -> None:
        self._raise_if_closed()
        await self._ws.send_str(dumps({"event": event, "data": data}))

    # --- receiving ---------------------------------------------------------------------------

    async def next_event(self, within: float = DEFAULT_TIMEOUT) -> ReceivedEvent:
        """The next frame that answers no request; raises `TimeoutError` after `within` seconds, or
        `SubscriberError` once the connection is closed and nothing is left."""
        if self._closed is not None and self._events.empty():
            raise self._closed
        item = await asyncio.wait_for(self._events.get(), within)
        if item is None:
            self._events.put_nowait(None)  # later calls see the end too
            assert self._closed is not None
            raise self._closed
        return item

    async def _read(self) -> None:
        closed = SubscriberError("the connection closed")
        try:
            async for message in self._ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    continue
                await self._dispatch(loads(message.data))
            if self._ws.close_code is not None:
                closed = SubscriberError("the server closed the connection", self._ws.close_code)
        except (ValueError, aiohttp.ClientError) as problem:
            closed = SubscriberError(f"the connection failed: {problem}")
        finally:
            self._closed = closed
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(closed)
            self._events.put_nowait(None)
            self._counted.set()  # a wait for a count ends with the connection

    async def _dispatch(self, frame: dict[str, Any]) -> None:
        event = str(frame.get("event"))
        data = frame.get("data")
        received = ReceivedEvent(event, frame.get("channel"), data, frame.get("user_id"))
        if event == "pusher:ping":
            await self._ws.send_str(dumps({"event": "pusher:pong", "data": {}}))
            return
        if event == "pusher_internal:subscription_count" and received.channel is not None:
            with contextlib.suppress(ValueError, TypeError, KeyError):
                self.subscription_counts[received.channel] = int(
                    received.json()["subscription_count"]
                )
                self._counted.set()
            if not self._queue_counts:
                return
        future = self._waiting.get(event)
        if future is not None and not future.done():
            future.set_result(received)
            return
        if event == "pusher:error" and self._waiting:
            error = data if isinstance(data, dict) else {}
            refused = SubscriberError(str(error.get("message")), error.get("code"))
            for pending in self._waiting.values():
                if not pending.done():
                    pending.set_exception(refused)
        self._events.put_nowait(received)

    async def wait_subscription_count(
        self, channel: str, count: int, within: float = DEFAULT_TIMEOUT
    ) -> None:
        """Wait until the latest ``pusher_internal:subscription_count`` of `channel` is `count`."""
        async with asyncio.timeout(within):
            while self.subscription_counts.get(channel) != count:
                self._raise_if_closed()
                self._counted.clear()
                await self._counted.wait()

    def _raise_if_closed(self) -> None:
        if self._closed is not None:
            raise self._closed

    @property
    def close_code(self) -> int | None:
        """The close code the server sent (4001, 4009, 4201, ...), once closed."""
        return self._ws.close_code if self._closed is not None else None

    @property
    def closed(self) -> bool:
        return self._closed is not None

    async def wait_closed(self, within: float = DEFAULT_TIMEOUT) -> int | None:
        """Wait until the server closes the connection; its close code."""
        await asyncio.wait_for(asyncio.shield(self._reader), within)
        return self._ws.close_code

    async def close(self) -> None:
        await self._ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        if self._owns_session:
            await self._session.close()

    async def __aenter__(self) -> Subscriber:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
