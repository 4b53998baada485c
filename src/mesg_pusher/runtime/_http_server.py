"""The HTTP/1.1 server edge on asyncio: listening sockets, the connection limit, and what every
connection shares (the byte budget over the bodies being read, the counts, the log). One
connection is ``_http_connection.py``'s; what a request is, what to answer when it is not one,
how many connections to hold and how often to log: ``_http_rules.py``.

One `HttpServer` may listen on several addresses, each with its own routes; the connection
limit and the byte budget are the server's, over every address (they guard one process).

Accepting is a loop of ours over `loop.sock_accept`, not asyncio's server, so that:

- at the connection limit, the oldest idle connection (no byte of a request yet, or an answered
  one lingering) is closed for a newcomer once it has been so for `EVICTABLE_AFTER`; until
  then, accepting waits and the kernel's backlog holds newcomers;
- a failed accept ("Too many open files") closes an idle connection if there is one, or waits
  a moment, and is counted and logged at most once a second, never with a traceback.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import logging
import math
import resource
import socket
import time
from collections.abc import Callable
from email.utils import formatdate
from typing import Final

from ._http_connection import Connection, Routes
from ._http_rules import (
    EVICTABLE_AFTER,
    HEAD_SECONDS,
    IDLE_SECONDS,
    LINGER_SECONDS,
    Throttle,
    connection_cap,
)

log = logging.getLogger("mesg_pusher.runtime")

#: Connections the kernel queues while the edge does not accept (asyncio's default is 100; a
#: burst of webhooks after an outage is larger). The kernel caps it at ``somaxconn``.
BACKLOG: Final = 1024
#: How long accepting waits after it failed for want of a file descriptor or memory.
ACCEPT_PAUSE: Final = 0.1
#: Bytes taken from a socket at once outside a body (a body is read straight into its buffer).
READ_BYTES: Final = 64 * 1024
#: What the connections still open when the server closes get to finish their answers.
SHUTDOWN_SECONDS: Final = 0.5
#: Accept failures that a moment and a free descriptor cure; the others are the peer's doing
#: (it went away before it was accepted) and are tried again at once.
_SHORT_OF: Final = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


class HttpServer:
    """Serves routes on one or more addresses (`listen`); `close` ends it all.

    `max_connections` defaults to the share `connection_cap` gives of the open-file limit;
    `max_reading_bytes` is the budget over every body being read at once; `refused` is told
    the reason of each request or connection the edge refuses on its own (a metrics counter).
    """

    def __init__(
        self,
        *,
        max_reading_bytes: int,
        max_connections: int | None = None,
        refused: Callable[[str], None] = lambda reason: None,
        idle_seconds: float = IDLE_SECONDS,
        head_seconds: float = HEAD_SECONDS,
        linger_seconds: float = LINGER_SECONDS,
    ) -> None:
        if max_connections is None:
            soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
            max_connections = connection_cap(soft)
        self.max_connections = max_connections
        self.max_reading_bytes = max_reading_bytes
        self.reading_bytes = 0
        self.idle_seconds = idle_seconds
        self.head_seconds = head_seconds
        self.linger_seconds = linger_seconds
        self._refused = refused
        self._connections: set[Connection] = set()
        self._reusable: dict[Connection, float] = {}  # idle or lingering since, oldest first
        self._evicted: set[Connection] = set()  # closed to make room, not gone yet
        self._room = asyncio.Event()
        self._empty = asyncio.Event()
        self._empty.set()
        self._sockets: list[socket.socket] = []
        self._acceptors: list[asyncio.Task[None]] = []
        self._throttles: dict[str, Throttle] = {}
        self._scratch = memoryview(bytearray(READ_BYTES))
        self._date = (0, "")
        self.closing = False

    @property
    def connections(self) -> int:
        """Connections open now (the listening sockets aside)."""
        return len(self._connections)

    async def listen(self, host: str, port: int, routes: Routes) -> tuple[str, int]:
        """Serve `routes` on `host`:`port` (0: a free port); the address taken. OSError when
        it cannot be taken."""
        loop = asyncio.get_running_loop()
        found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        # Every address the name has, as asyncio's own servers bind them.
        sockets: list[socket.socket] = []
        try:
            for family, kind, proto, _, address in dict.fromkeys(found):
                sock = socket.socket(family, kind, proto)
                sockets.append(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind(address)
                sock.listen(BACKLOG)
                sock.setblocking(False)
        except BaseException:
            for sock in sockets:
                sock.close()
            raise
        for sock in sockets:
            self._sockets.append(sock)
            self._acceptors.append(loop.create_task(self._accept(sock, routes)))
        taken = sockets[0].getsockname()
        return str(taken[0]), int(taken[1])

    async def close(self, within: float = SHUTDOWN_SECONDS) -> None:
        """Stop accepting, close idle connections, let the others answer for up to `within`
        seconds, then close them too."""
        self.closing = True
        for task in self._acceptors:
            task.cancel()
        await asyncio.gather(*self._acceptors, return_exceptions=True)
        self._acceptors.clear()
        for sock in self._sockets:
            sock.close()
        self._sockets.clear()
        for connection in list(self._connections):
            connection.shut()
        try:
            async with asyncio.timeout(within):
                await self._empty.wait()
        except TimeoutError:
            pass
        left = list(self._connections)
        for connection in left:
            connection.abort()
            if connection.task is not None:
                connection.task.cancel()
        await asyncio.gather(*(c.task for c in left if c.task is not None), return_exceptions=True)

    # Accepting ---------------------------------------------------------------------------------

    async def _accept(self, sock: socket.socket, routes: Routes) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._make_room(sock)
            try:
                conn, address = await loop.sock_accept(sock)
            except OSError as error:
                self._refused("accept_error")
                self._note(
                    logging.WARNING,
                    "cannot accept a connection",
                    {"error": error.strerror or type(error).__name__},
                )
                if error.errno in _SHORT_OF:
                    # A descriptor an idle connection holds is the quickest one to get back.
                    await asyncio.sleep(0 if self._evict() else ACCEPT_PAUSE)
                continue
            if self._held() >= self.max_connections:
                conn.close()  # another address took the last room meanwhile
                self._refused("at_capacity")
                continue
            peer = str(address[0]) if isinstance(address, tuple) else str(address)
            try:
                await loop.connect_accepted_socket(
                    functools.partial(Connection, self, routes, peer), conn
                )
            except OSError:
                conn.close()

    def _held(self) -> int:
        """Connections open, those being closed aside."""
        return len(self._connections) - len(self._evicted)

    async def _make_room(self, sock: socket.socket) -> None:
        """Return once there is room for one more connection. At the limit, wait for one to
        close; or, once the oldest idle one has been idle `EVICTABLE_AFTER`, for a newcomer
        knocking on `sock`, and close that idle one for it."""
        loop = asyncio.get_running_loop()
        while self._held() >= self.max_connections:
            self._note(
                logging.WARNING,
                "at the connection limit; new connections wait",
                {"limit": self.max_connections},
            )
            wait = self._evictable_in()
            self._room.clear()
            room: asyncio.Future[object] = loop.create_task(self._room.wait())
            knock: asyncio.Future[object] = loop.create_future()
            if wait == 0:
                loop.add_reader(sock, _settle, knock)
            try:
                await asyncio.wait(
                    {room, knock},
                    timeout=None if wait in (0, math.inf) else wait,
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                room.cancel()
                if wait == 0:
                    loop.remove_reader(sock)
                knock.cancel()
            if knock.done() and not knock.cancelled() and self._held() >= self.max_connections:
                self._evict()

    def _evictable_in(self) -> float:
        """Seconds until the oldest idle (or lingering) connection may be closed to make room:
        0 if it may now, infinity if none is idle."""
        if not self._reusable:
            return math.inf
        since = next(iter(self._reusable.values()))
        return max(0.0, since + EVICTABLE_AFTER - time.monotonic())

    def _evict(self) -> bool:
        """Close the oldest idle (or lingering) connection if it may be closed to make room;
        whether it was."""
        if self._evictable_in() > 0:
            return False
        oldest = next(iter(self._reusable))
        del self._reusable[oldest]
        self._evicted.add(oldest)
        self._note(
            logging.WARNING,
            "at the connection limit; closing the oldest idle connection",
            {"limit": self.max_connections},
        )
        oldest.abort()
        return True

    # What connections report -------------------------------------------------------------------

    def opened(self, connection: Connection) -> None:
        self._connections.add(connection)
        self._empty.clear()

    def closed(self, connection: Connection) -> None:
        self._connections.discard(connection)
        self._reusable.pop(connection, None)
        self._evicted.discard(connection)
        self._room.set()
        if not self._connections:
            self._empty.set()

    def reusable(self, connection: Connection, reusable: bool) -> None:
        """`connection` is idle or lingering (it may be closed to make room), or no longer."""
        self._reusable.pop(connection, None)
        if reusable:
            self._reusable[connection] = time.monotonic()  # the newest last
            self._room.set()

    def refuse(self, reason: str, peer: str, message: str, **fields: object) -> None:
        """Count one request or connection refused for `reason`, and log it (throttled)."""
        self._refused(reason)
        self._note(logging.INFO, message, {"reason": reason, "peer": peer, **fields})

    def _note(self, level: int, message: str, fields: dict[str, object]) -> None:
        """Log `message` at most once a `LOG_INTERVAL` (per message and reason), with how many
        times it happened since the last line."""
        kind = f"{message}/{fields.get('reason', '')}"
        throttle = self._throttles.get(kind)
        if throttle is None:
            throttle = self._throttles[kind] = Throttle()
        times = throttle.due(time.monotonic())
        if times and log.isEnabledFor(level):
            if times > 1:
                fields["times"] = times
            log.log(level, message, extra={"fields": fields})

    def scratch(self) -> memoryview:
        """Where reads outside a body land; each read is copied out before the next."""
        return self._scratch

    def date(self) -> str:
        """The ``Date`` field, written once a second."""
        second = int(time.time())
        if self._date[0] != second:
            self._date = (second, formatdate(second, usegmt=True))
        return self._date[1]


def _settle(future: asyncio.Future[object]) -> None:
    if not future.done():
        future.set_result(None)
