"""`HttpPool`: the one transport, for every request: plain and TLS, direct or through a proxy,
with one budget of connections and one timeout per request.

Why it exists: aiohttp spends about 0.1 ms of CPU per request in its own machinery (request and
response objects, stream readers, timers, tasks), most of the cost of a trigger. Here a request
is written with one `write` and its answer parsed inside the protocol callbacks (`_exchange`),
a fraction of that (`bench/README.md` has the figures, over plain HTTP and over TLS).

Connections: with keep-alive, idle connections are kept per endpoint (scheme, host, port,
proxy) and reused, dropped when the server closes them, when the answer says
``Connection: close``, after `IDLE_SECONDS` unused, or when the request failed or timed out.
Without keep-alive, each request opens its own connection and says ``Connection: close``. Open
connections (busy and idle, of every endpoint) count against one `ConnectionBudget`; beyond it,
requests wait for one to come free, and an idle one is closed to make room for another endpoint.

A server may close an idle connection at any time (nginx after 75 s, Pusher's load balancers
too). Its end-of-stream (or TLS close_notify) can be waiting in the socket before the event
loop has run the callback that marks the connection closed, so an idle connection is polled
(without waiting) before a request is written on it: if anything is waiting, it is dead (or
unusable: no byte is expected between answers), it is closed and another one taken. Nothing was
written on it, so this can never deliver a request twice. A request that was written is never
sent again: every failure after the write says `sent=True`, and the caller decides.

Some servers close every connection right after answering without saying so (tinyproxy does
to its clients): the close can arrive just after the next request was written on the
connection, which then fails, maybe sent. So a connection found closed, or failing, within
`QUICK_CLOSE_SECONDS` of its last answer marks its endpoint: for `CLOSING_SECONDS` its requests
each get a new connection and say ``Connection: close``, as without keep-alive. One request
may fail before the mark; none after it.
"""

from __future__ import annotations

import asyncio
import select
import ssl
import time
from typing import Final

from ..._errors import PusherConnectionError, PusherTimeoutError
from .._requests import CONTENT_TYPE, HttpRequest
from .._settings import Connection, Proxy
from . import _proxy
from ._budget import ConnectionBudget
from ._dial import Resolver, dial
from ._exchange import Exchange
from ._http11 import ResponseParser, header_lines, request_head
from ._interface import USER_AGENT, Answer
from ._tls import verifying

#: Connections open at once (busy and idle, keep-alive and not, over every endpoint).
DEFAULT_CONNECTION_LIMIT: Final = 256
#: An idle keep-alive connection unused for this long is closed (aiohttp's default too).
IDLE_SECONDS: Final = 15.0
#: What one read of a connection takes at most: every connection of the pool reads into one
#: buffer of this size (see `_exchange`).
READ_BYTES: Final = 65_536
#: A connection closed by its server this soon after an answer marks the endpoint as one that
#: closes after every answer (nginx keeps idle connections 75 s, Pusher's balancers minutes).
QUICK_CLOSE_SECONDS: Final = 1.0
#: How long a marked endpoint goes without keep-alive before it is tried again.
CLOSING_SECONDS: Final = 300.0
#: How long closing the pool waits for its connections to finish closing (TLS says goodbye).
CLOSE_SECONDS: Final = 1.0
#: Why a request still waiting for a connection when the pool closes fails.
NOT_SENT: Final = "the HTTP pool is shutting down: the request was not sent"
#: Sent with every request besides Host, Content-Length and, through a proxy, its credentials.
HEADERS: Final = (
    ("Accept", "*/*"),
    ("User-Agent", USER_AGENT),
    ("Content-Type", CONTENT_TYPE),
)

#: Where a connection goes: its scheme, host, port and proxy.
Endpoint = tuple[str, str, int, Proxy | None]


class HttpPool:
    """Shared, bounded HTTP connections for every app and endpoint; close it once at shutdown.

    `ssl_context` replaces the default certificate checks (a private CA; it must verify, see
    `_tls`). At most `limit` connections are open at once.
    """

    def __init__(
        self,
        *,
        limit: int = DEFAULT_CONNECTION_LIMIT,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._budget = ConnectionBudget(limit, self._reclaim_idle)
        self._given_context = verifying(ssl_context) if ssl_context is not None else None
        self._context: ssl.SSLContext | None = self._given_context
        self._resolver = Resolver()
        self._idle: dict[Endpoint, list[Exchange]] = {}
        #: Endpoints that close after every answer, until when (monotonic) they are left so.
        self._closing_endpoints: dict[Endpoint, float] = {}
        self._poller = select.poll()
        self._sweeper: asyncio.TimerHandle | None = None
        self._closing: set[Exchange] = set()
        self._read_buffer = memoryview(bytearray(READ_BYTES))
        self._closed = False

    @property
    def open_connections(self) -> int:
        """Connections open now, busy and idle."""
        return self._budget.open

    def _tls_context(self) -> ssl.SSLContext:
        # Made on first use: loading the system's certificates takes 30 to 50 ms here, which a
        # service publishing over plain HTTP need not pay at start.
        if self._context is None:
            self._context = verifying(None)
        return self._context

    async def send(self, connection: Connection, request: HttpRequest) -> Answer:
        """Send `request` as `connection` says; the status and the whole body."""
        if self._closed:
            raise RuntimeError("the HTTP pool is closed")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + connection.timeout_ms / 1000
        endpoint = (connection.scheme, connection.host, connection.port, connection.proxy)
        url = connection.base_url + request.path  # no query: it carries the signature
        keep_alive = connection.keep_alive and self._keeps_alive(endpoint)
        exchange = self._idle_exchange(endpoint) if keep_alive else None
        if exchange is None and keep_alive:
            keep_alive = self._keeps_alive(endpoint)  # the look for an idle one may have marked it
        reusable = False
        try:
            # One timeout from the start to the whole answer, whatever the request waits for.
            async with asyncio.timeout_at(deadline):
                if exchange is None:
                    exchange = await self._acquire(connection, endpoint, url, keep_alive)
                waiter = exchange.expect(ResponseParser(), url)
                if exchange.closed or exchange.transport is None:
                    detail = "the server closed the connection before the request was written"
                    raise PusherConnectionError(url, detail, sent=False)
                exchange.write(self._head(connection, request, keep_alive) + request.body)
                exchange.sent = True
                status, body, reusable = await waiter
        except TimeoutError:  # only the deadline raises it: OS errors arrive described
            sent = exchange is not None and exchange.sent
            raise PusherTimeoutError(url, connection.timeout_ms, sent=sent) from None
        except PusherConnectionError:
            if exchange is not None and exchange.answers:
                self._note_close(endpoint, exchange)
            raise
        finally:
            if exchange is not None:
                exchange.finished()
                self._release(exchange, endpoint, keep_alive and reusable)
        return status, body

    def _head(self, connection: Connection, request: HttpRequest, keep_alive: bool) -> bytes:
        """The request line and headers."""
        if connection.proxy is not None and connection.scheme == "http":
            target = _proxy.absolute_target(connection, request)
        else:
            target = request.target
        lines = self._header_lines(connection, keep_alive)
        return request_head(request.method, target, lines, len(request.body))

    def _header_lines(self, connection: Connection, keep_alive: bool) -> bytes:
        port = connection.port
        default = 443 if connection.scheme == "https" else 80
        host = connection.host if port == default else f"{connection.host}:{port}"
        headers: tuple[tuple[str, str], ...] = HEADERS
        if connection.proxy is not None and connection.scheme == "http":
            headers = (*headers, *_proxy.credentials(connection.proxy))
        if not keep_alive:
            headers = (*headers, ("Connection", "close"))
        return header_lines(host, headers)

    def _idle_exchange(self, endpoint: Endpoint) -> Exchange | None:
        """An idle connection to the endpoint that is still usable, the most recent first."""
        idle = self._idle.get(endpoint)
        while idle:
            exchange = idle.pop()
            if not exchange.closed and not self._has_input(exchange):
                return exchange
            self._note_close(endpoint, exchange)
            self._drop(exchange)
        return None

    def _note_close(self, endpoint: Endpoint, exchange: Exchange) -> None:
        """A connection that answered before was found closed or failed: if that was soon
        after its last answer, the endpoint closes after every answer (see the module's text)."""
        now = time.monotonic()
        if now - exchange.idle_since < QUICK_CLOSE_SECONDS:
            self._closing_endpoints[endpoint] = now + CLOSING_SECONDS

    def _keeps_alive(self, endpoint: Endpoint) -> bool:
        """Whether connections to the endpoint are kept for another request."""
        until = self._closing_endpoints.get(endpoint) if self._closing_endpoints else None
        if until is None:
            return True
        if time.monotonic() < until:
            return False
        del self._closing_endpoints[endpoint]
        return True

    def _has_input(self, exchange: Exchange) -> bool:
        """Whether anything (an end-of-stream, a TLS alert, bytes nobody asked for, an error)
        is waiting on the idle connection's socket that the event loop has not handed on."""
        fd = exchange.fd
        if fd < 0:
            return False
        poller = self._poller
        poller.register(fd, select.POLLIN)
        try:
            return bool(poller.poll(0))
        finally:
            poller.unregister(fd)

    async def _acquire(
        self, connection: Connection, endpoint: Endpoint, url: str, keep_alive: bool
    ) -> Exchange:
        reused: Exchange | None = None

        def reuse() -> bool:
            nonlocal reused
            reused = self._idle_exchange(endpoint)
            return reused is not None

        if not await self._budget.take(reuse if keep_alive else None):
            if reused is None:
                raise PusherConnectionError(url, NOT_SENT, sent=False)
            return reused
        try:
            return await dial(connection, url, self._resolver, self._tls_context, self._read_buffer)
        except BaseException:
            self._budget.give_back()
            raise

    def _release(self, exchange: Exchange, endpoint: Endpoint, keep: bool) -> None:
        if keep and exchange.closed:  # closed with its answer, though the answer did not say so
            self._closing_endpoints[endpoint] = time.monotonic() + CLOSING_SECONDS
        if keep and not exchange.closed and not self._closed:
            exchange.idle_since = time.monotonic()
            self._idle.setdefault(endpoint, []).append(exchange)
            self._schedule_sweep()
            self._budget.notify()  # a waiter for this endpoint can take it
        else:
            self._drop(exchange)

    def _drop(self, exchange: Exchange, *, give_back: bool = True) -> None:
        """Close a connection; its unit is free (unless it passes to a waiter: `give_back`)."""
        self._close(exchange)
        if give_back:
            self._budget.give_back()

    def _close(self, exchange: Exchange) -> None:
        if not exchange.lost.done():
            self._closing.add(exchange)
            exchange.lost.add_done_callback(lambda _: self._closing.discard(exchange))
        exchange.close()

    def _reclaim_idle(self) -> bool:
        """Close the longest-idle connection of any endpoint to make room (its budget unit goes
        to the caller); False if none is idle."""
        oldest: tuple[Endpoint, Exchange] | None = None
        for endpoint, idle in self._idle.items():
            if idle and (oldest is None or idle[0].idle_since < oldest[1].idle_since):
                oldest = (endpoint, idle[0])
        if oldest is None:
            return False
        endpoint, exchange = oldest
        self._idle[endpoint].remove(exchange)
        self._drop(exchange, give_back=False)
        return True

    def _schedule_sweep(self) -> None:
        if self._sweeper is None:
            loop = asyncio.get_running_loop()
            self._sweeper = loop.call_later(IDLE_SECONDS / 2, self._sweep)

    def _sweep(self) -> None:
        self._sweeper = None
        limit = time.monotonic() - IDLE_SECONDS
        for endpoint, idle in list(self._idle.items()):
            keep = [e for e in idle if not e.closed and e.idle_since > limit]
            for exchange in idle:
                if exchange not in keep:
                    self._drop(exchange)
            if keep:
                self._idle[endpoint] = keep
            else:
                del self._idle[endpoint]
        if self._idle:
            self._schedule_sweep()

    async def close(self) -> None:
        """Close the idle connections and wait (briefly) for every closing one to finish;
        requests still waiting for room fail, those under way finish and close theirs."""
        if self._closed:
            return
        self._closed = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for idle in self._idle.values():
            for exchange in idle:
                self._drop(exchange)
        self._idle.clear()
        self._budget.close()
        closing = [exchange.lost for exchange in self._closing]
        if closing:
            await asyncio.wait(closing, timeout=CLOSE_SECONDS)
            for exchange in list(self._closing):
                if exchange.transport is not None and not exchange.lost.done():
                    exchange.transport.abort()
