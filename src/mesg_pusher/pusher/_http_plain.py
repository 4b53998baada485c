"""The lean HTTP edge: plain ``http://`` requests without a proxy, on raw asyncio connections.

Why it exists: aiohttp spends about 0.1 ms of CPU per request in its own machinery (request and
response objects, stream readers, timers, tasks), most of the cost of a trigger. This edge writes
the request with one `write` and parses the answer with the pure `_http1` parser inside the
protocol callback, which costs a fraction of that. TLS and proxies stay with aiohttp.

Connections: with keep-alive, idle connections are kept per host and port and reused, dropped
when the server closes them, when the answer says ``Connection: close``, after
`IDLE_SECONDS` unused, or when the request failed or timed out. Without keep-alive, each request
opens its own connection and says ``Connection: close``. Open connections (busy and idle) count
against a `ConnectionBudget`, which may be shared with other transports; beyond it, requests wait
for one to come free.

A server may close an idle connection at any time (nginx after 75 s, Pusher's load balancers
too). Its end-of-stream can be waiting in the socket before the event loop has run the callback
that marks the connection closed, so an idle connection is polled (without waiting) before a
request is written on it: if anything is waiting, it is dead (or unusable: no byte is expected
between answers), it is closed and another one taken. Nothing was written on it, so this can never
deliver a request twice. A request that was written is never sent again.
"""

from __future__ import annotations

import asyncio
import select
import socket
import time
from typing import Final

from .._errors import PusherConnectionError, PusherTimeoutError
from ._failures import os_text, shown
from ._http1 import AnswerTooLarge, ProtocolError, ResponseParser, header_lines, request_head
from ._requests import CONTENT_TYPE, HttpRequest
from ._settings import Connection
from ._transport import (
    DEFAULT_CONNECTION_LIMIT,
    NOT_SENT,
    USER_AGENT,
    Answer,
    ConnectionBudget,
)

#: An idle keep-alive connection unused for this long is closed (aiohttp's default too).
IDLE_SECONDS: Final = 15.0
#: Addresses of a host name are reused for this long (aiohttp's default DNS cache time).
DNS_SECONDS: Final = 10.0

#: What aiohttp sends besides Host and Content-Length, so both edges look alike to a server.
HEADERS: Final = (
    ("Accept", "*/*"),
    ("User-Agent", USER_AGENT),
    ("Content-Type", CONTENT_TYPE),
)

_Key = tuple[str, int]
_Answer = tuple[int, bytes, bool]


class _Failure(Exception):
    """Why an exchange failed, in the words `PusherConnectionError` shows."""


class _Exchange(asyncio.Protocol):
    """One connection. While a request is out, `parser` reads the answer and `waiter` gets it."""

    def __init__(self, key: _Key) -> None:
        self.key = key
        self.transport: asyncio.Transport | None = None
        self.parser: ResponseParser | None = None
        self.waiter: asyncio.Future[_Answer] | None = None
        self.closed = False
        self.idle_since = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        parser = self.parser
        if parser is None:
            self.close()  # bytes nobody asked for: this connection cannot be trusted
            return
        try:
            complete = parser.feed(data)
        except AnswerTooLarge as error:
            self._fail(_Failure(str(error)))
            self.close()
            return
        except ProtocolError as error:
            self._fail(_Failure(f"the answer was not valid HTTP ({error})"))
            self.close()
            return
        if complete:
            self._answer(parser)

    def eof_received(self) -> bool:
        parser = self.parser
        if parser is not None:
            try:
                complete = parser.feed_eof()
            except AnswerTooLarge as error:
                self._fail(_Failure(str(error)))
            else:
                if complete:
                    self._answer(parser)
                else:
                    self._fail(_cut_short(parser))
        self.closed = True
        return False  # let the transport close

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        parser = self.parser
        if parser is not None:
            if exc is None:
                self._fail(_cut_short(parser))
            else:
                text = os_text(exc) if isinstance(exc, OSError) else type(exc).__name__
                self._fail(_Failure(text))

    def _answer(self, parser: ResponseParser) -> None:
        self.parser = None
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result((parser.status, parser.body, parser.reusable))

    def _fail(self, error: BaseException) -> None:
        self.parser = None
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


def _expire(waiter: asyncio.Future[_Answer]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


def _cut_short(parser: ResponseParser) -> _Failure:
    if parser.started:
        return _Failure("the answer was cut short")
    return _Failure("the server closed the connection without answering")


class PlainTransport:
    """The lean transport for plain HTTP without a proxy; close it once at shutdown.

    Its connections count against `budget` (shared with other transports), or against a budget
    of its own of `limit` connections.
    """

    def __init__(
        self,
        *,
        budget: ConnectionBudget | None = None,
        limit: int = DEFAULT_CONNECTION_LIMIT,
        headers: tuple[tuple[str, str], ...] = HEADERS,
    ) -> None:
        self._owns_budget = budget is None
        self._budget = budget if budget is not None else ConnectionBudget(limit)
        self._budget.add_reclaimer(self._reclaim_idle)
        self._headers = headers
        self._idle: dict[_Key, list[_Exchange]] = {}
        self._poller = select.poll()
        self._lines: dict[tuple[str, int, bool], bytes] = {}
        self._addresses: dict[_Key, tuple[float, list[tuple[str, int]]]] = {}
        self._sweeper: asyncio.TimerHandle | None = None
        self._closed = False

    async def send(self, connection: Connection, request: HttpRequest) -> Answer:
        """Send `request` to ``connection.host:port``; the status and the whole body."""
        if self._closed:
            raise RuntimeError("the HTTP pool is closed")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + connection.timeout_ms / 1000
        keep_alive = connection.keep_alive
        exchange = self._idle_exchange(connection) if keep_alive else None
        reusable = False
        try:
            if exchange is None:
                # Waiting for room and connecting: the general (costlier) timeout.
                async with asyncio.timeout_at(deadline):
                    exchange = await self._acquire(connection)
            # Waiting for the answer: one timer that fails the waiter, cheaper per request.
            waiter: asyncio.Future[_Answer] = loop.create_future()
            exchange.waiter = waiter
            exchange.parser = ResponseParser()
            timer = loop.call_at(deadline, _expire, waiter)
            try:
                assert exchange.transport is not None
                exchange.transport.write(self._head(connection, request) + request.body)
                status, body, reusable = await waiter
            finally:
                timer.cancel()
        except TimeoutError:  # only the deadline raises it: OS errors arrive as _Failure
            raise PusherTimeoutError(shown(connection, request), connection.timeout_ms) from None
        except _Failure as failure:
            raise PusherConnectionError(shown(connection, request), str(failure)) from None
        except OSError as error:
            raise PusherConnectionError(shown(connection, request), os_text(error)) from None
        finally:
            if exchange is not None:
                exchange.waiter = None
                exchange.parser = None
                self._release(exchange, keep_alive and reusable)
        return status, body

    def _head(self, connection: Connection, request: HttpRequest) -> bytes:
        key = (connection.host, connection.port, connection.keep_alive)
        lines = self._lines.get(key)
        if lines is None:
            port = connection.port
            host = connection.host if port == 80 else f"{connection.host}:{port}"
            headers = self._headers
            if not connection.keep_alive:
                headers = (*headers, ("Connection", "close"))
            lines = header_lines(host, headers)
            if len(self._lines) < 1024:
                self._lines[key] = lines
        return request_head(request.method, request.target, lines, len(request.body))

    def _idle_exchange(self, connection: Connection) -> _Exchange | None:
        """An idle connection to the endpoint that is still usable, the most recent first."""
        idle = self._idle.get((connection.host, connection.port))
        while idle:
            exchange = idle.pop()
            if not exchange.closed and not self._has_input(exchange):
                return exchange
            exchange.close()
            self._budget.give_back()
        return None

    def _has_input(self, exchange: _Exchange) -> bool:
        """Whether anything (an end-of-stream, bytes nobody asked for, an error) is waiting on
        the idle connection's socket that the event loop has not handed on yet."""
        transport = exchange.transport
        sock = transport.get_extra_info("socket") if transport is not None else None
        if sock is None:
            return False
        fd = sock.fileno()
        poller = self._poller
        poller.register(fd, select.POLLIN)
        try:
            return bool(poller.poll(0))
        finally:
            poller.unregister(fd)

    async def _acquire(self, connection: Connection) -> _Exchange:
        reused: _Exchange | None = None

        def reuse() -> bool:
            nonlocal reused
            reused = self._idle_exchange(connection)
            return reused is not None

        if not await self._budget.take(reuse if connection.keep_alive else None):
            if reused is None:
                raise _Failure(NOT_SENT)
            return reused
        try:
            return await self._connect((connection.host, connection.port))
        except BaseException:
            self._budget.give_back()
            raise

    async def _connect(self, key: _Key) -> _Exchange:
        loop = asyncio.get_running_loop()
        last: OSError | None = None
        for host, port in await self._resolve(key):
            try:
                _, exchange = await loop.create_connection(lambda: _Exchange(key), host, port)
            except OSError as error:
                last = error
                continue
            return exchange
        assert last is not None
        raise _Failure(f"could not connect: {os_text(last)}")

    async def _resolve(self, key: _Key) -> list[tuple[str, int]]:
        host, port = key
        bare = host[1:-1] if host.startswith("[") else host
        if _is_ip(bare):
            return [(bare, port)]
        now = time.monotonic()
        cached = self._addresses.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(bare, port, type=socket.SOCK_STREAM)
        except OSError as error:
            raise _Failure(f"could not resolve {host}: {os_text(error)}") from None
        addresses = list(dict.fromkeys((str(info[4][0]), port) for info in infos))
        if len(self._addresses) >= 1024:
            self._addresses.clear()
        self._addresses[key] = (now + DNS_SECONDS, addresses)
        return addresses

    def _release(self, exchange: _Exchange, keep: bool) -> None:
        if keep and not exchange.closed and not self._closed:
            exchange.idle_since = time.monotonic()
            self._idle.setdefault(exchange.key, []).append(exchange)
            self._schedule_sweep()
            self._budget.notify()  # a waiter for this endpoint can take it
        else:
            exchange.close()
            self._budget.give_back()

    def _reclaim_idle(self) -> bool:
        """Close the longest-idle connection of any endpoint to make room (its budget unit goes
        to the caller); False if none is idle."""
        oldest: _Exchange | None = None
        for idle in self._idle.values():
            if idle and (oldest is None or idle[0].idle_since < oldest.idle_since):
                oldest = idle[0]
        if oldest is None:
            return False
        self._idle[oldest.key].remove(oldest)
        oldest.close()
        return True

    def _schedule_sweep(self) -> None:
        if self._sweeper is None:
            loop = asyncio.get_running_loop()
            self._sweeper = loop.call_later(IDLE_SECONDS / 2, self._sweep)

    def _sweep(self) -> None:
        self._sweeper = None
        limit = time.monotonic() - IDLE_SECONDS
        for key, idle in list(self._idle.items()):
            keep = [e for e in idle if not e.closed and e.idle_since > limit]
            for exchange in idle:
                if exchange not in keep:
                    exchange.close()
                    self._budget.give_back()
            if keep:
                self._idle[key] = keep
            else:
                del self._idle[key]
        if self._idle:
            self._schedule_sweep()

    async def close(self) -> None:
        self._closed = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        for idle in self._idle.values():
            for exchange in idle:
                exchange.close()
                self._budget.give_back()
        self._idle.clear()
        # Requests still waiting for room are woken to fail; those under way finish and
        # close their connections as they are released.
        if self._owns_budget:
            self._budget.close()


def _is_ip(host: str) -> bool:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except OSError:
            continue
        return True
    return False
