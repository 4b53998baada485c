"""The seam between the Pusher client and the network: what a transport is, the one connection
budget every real transport shares, and a mock transport for tests.

A `Transport` sends a signed `HttpRequest` as a `Connection` says and returns the status and the
whole body, or raises `PusherConnectionError`/`PusherTimeoutError`; interpreting the answer is
not its job (`interpret` does that). The real ones are the lean plain-HTTP edge
(`_http_plain`), the aiohttp edge for TLS and proxies (`_http_aiohttp`) and `HttpPool`, which
routes between them (`_http`). `MockTransport` answers from a function and records what it was
given, as httpx's does.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Awaitable, Callable
from typing import Final, Protocol

from .._version import __version__
from ._requests import HttpRequest
from ._settings import Connection

#: What a transport returns: the HTTP status and the whole body.
Answer = tuple[int, bytes]
#: Connections open at once (busy and idle, keep-alive and not, over every endpoint and every
#: transport of one `HttpPool`).
DEFAULT_CONNECTION_LIMIT: Final = 256
USER_AGENT: Final = f"mesg-pusher/{__version__}"
#: Why a request still waiting for a connection when the transports close fails.
NOT_SENT: Final = "the service is shutting down: the request was not sent"


class Transport(Protocol):
    """Sends requests; closed once, after which `send` raises `RuntimeError`."""

    async def send(self, connection: Connection, request: HttpRequest) -> Answer: ...

    async def close(self) -> None: ...


class ConnectionBudget:
    """At most `limit` connections open at once (busy and idle), over every transport that
    shares this budget.

    A transport takes a unit before it opens a connection and gives it back once the connection
    is closed. When none is left, the budget asks the transports' reclaimers to close an idle
    connection (each closes its longest idle one, if it has any); failing that, the caller waits
    its turn (first come, first served) and tries again when a connection closes or goes idle.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("a connection budget is at least 1")
        self.limit = limit
        self.open = 0
        self.closed = False
        self._reclaimers: list[Callable[[], bool]] = []
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def add_reclaimer(self, reclaim: Callable[[], bool]) -> None:
        """`reclaim` closes one idle connection and says whether it did; the unit that
        connection held is then handed to whoever asked, so `reclaim` does not give it back."""
        self._reclaimers.append(reclaim)

    def take_now(self) -> bool:
        """Take a unit if one is free or an idle connection can be closed for it (that
        connection's unit passes to the caller)."""
        if self.open < self.limit:
            self.open += 1
            return True
        return any(reclaim() for reclaim in self._reclaimers)

    async def take(self, on_turn: Callable[[], bool] | None = None) -> bool:
        """Wait until a unit is taken (True), or until `on_turn`, asked at each turn first,
        says the caller no longer needs one (False: an idle connection it can reuse came
        free), or the budget is closed (False, and `closed` says so)."""
        while True:
            if self.closed:
                return False
            if on_turn is not None and on_turn():
                return False
            if self.take_now():
                return True
            await self._wait_turn()

    def give_back(self) -> None:
        """A connection was closed: its unit is free."""
        self.open -= 1
        self.notify()

    def notify(self) -> None:
        """Something changed (a unit freed, a connection gone idle): the next waiter looks."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def close(self) -> None:
        """Wake every waiter; none takes a unit any more."""
        self.closed = True
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    async def _wait_turn(self) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.notify()  # woken but leaving: pass the turn on
            else:
                waiter.cancel()
            raise


Handler = Callable[[Connection, HttpRequest], Answer | Awaitable[Answer]]


class MockTransport:
    """A transport that answers every request with `handler(connection, request)` (a function
    or a coroutine function returning the status and body, or raising as a real transport
    would) and records each request in `sent`, in order."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.sent: list[tuple[Connection, HttpRequest]] = []
        self.closed = False

    async def send(self, connection: Connection, request: HttpRequest) -> Answer:
        if self.closed:
            raise RuntimeError("the HTTP pool is closed")
        self.sent.append((connection, request))
        answer = self.handler(connection, request)
        if isinstance(answer, tuple):
            return answer
        return await answer

    async def close(self) -> None:
        self.closed = True
