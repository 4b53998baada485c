"""The HTTP/1.1 server edge on asyncio: listening sockets, each connection as a protocol with its
one timer, and the byte budget over the bodies being read. What a request is, what to answer
when it is not one, how many connections to hold and how often to log: ``_http_rules.py``.

One `HttpServer` may listen on several addresses, each with its own routes; the connection
limit and the byte budget are the server's, over every address (they guard one process).

Accepting is a loop of ours over `loop.sock_accept`, not asyncio's server, so that:

- at the connection limit, the oldest idle connection (no byte of a request yet, or an answered
  one lingering) is closed for a newcomer once it has been so for `EVICTABLE_AFTER`; until
  then, accepting waits and the kernel's backlog holds newcomers;
- a failed accept ("Too many open files") closes an idle connection if there is one, or waits
  a moment, and is counted and logged at most once a second, never with a traceback.

A route gets a `Request` and returns a `Response`. It reads the body only if it wants it
(`Request.body`), within the time it gives and the byte budget; an answer given without reading
the body closes the connection. Reading is paused while a route runs, so a client cannot push
more than one read's worth ahead of its answer.
"""

from __future__ import annotations

import asyncio
import enum
import errno
import functools
import logging
import math
import resource
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from email.utils import formatdate
from typing import Final

from ._http_rules import (
    CONTINUE,
    EVICTABLE_AFTER,
    HEAD_SECONDS,
    HEAD_TOO_LARGE,
    IDLE_SECONDS,
    LINGER_SECONDS,
    MAX_HEAD_BYTES,
    Refusal,
    RequestHead,
    Response,
    Throttle,
    connection_cap,
    error_response,
    head_end,
    parse_head,
    refusal_response,
    response_bytes,
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


class Unread(enum.Enum):
    """Why a body was not read: the budget over bodies being read would be exceeded, or the
    body did not arrive within the time its route gave."""

    OVER_BUDGET = "over_budget"
    TOO_SLOW = "too_slow"


Handler = Callable[["Request"], Awaitable[Response]]
#: What one address serves: path -> method -> handler (``GET`` serves ``HEAD`` too).
Routes = Mapping[str, Mapping[str, Handler]]


class Request:
    """One request, as a route gets it: its head, the peer's address and, on demand, its body."""

    __slots__ = ("_connection", "head", "peer")

    def __init__(self, head: RequestHead, peer: str, connection: _Connection) -> None:
        self.head = head
        self.peer = peer
        self._connection = connection

    async def body(self, within: float) -> bytes | Unread:
        """The whole body, or why it was not read (within `within` seconds from now). Raises
        `ConnectionResetError` when the peer went away first (nothing can be answered)."""
        return await self._connection.read_body(self.head, within)


class _State(enum.Enum):
    IDLE = "idle"  # waiting for the first byte of a request
    HEAD = "head"  # a head is coming
    BUSY = "busy"  # a route is answering; reading is paused
    BODY = "body"  # a route is reading the body
    LINGER = "linger"  # answered, the write side closed; what still comes is discarded
    CLOSED = "closed"


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
        self._connections: set[_Connection] = set()
        self._reusable: dict[_Connection, float] = {}  # idle or lingering since, oldest first
        self._evicted: set[_Connection] = set()  # closed to make room, not gone yet
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
                    functools.partial(_Connection, self, routes, peer), conn
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

    def opened(self, connection: _Connection) -> None:
        self._connections.add(connection)
        self._empty.clear()

    def closed(self, connection: _Connection) -> None:
        self._connections.discard(connection)
        self._reusable.pop(connection, None)
        self._evicted.discard(connection)
        self._room.set()
        if not self._connections:
            self._empty.set()

    def reusable(self, connection: _Connection, reusable: bool) -> None:
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


class _Connection(asyncio.BufferedProtocol):
    """One client connection, through the states of `_State` (see ``_http_rules.py``)."""

    def __init__(self, server: HttpServer, routes: Routes, peer: str) -> None:
        self._server = server
        self._routes = routes
        self._peer = peer
        self._transport: asyncio.Transport | None = None
        self._state = _State.IDLE
        self._head = bytearray()
        self._pending = b""  # bytes past the current head: its body's start, or the next request
        self._timer: asyncio.TimerHandle | None = None
        self._body: bytearray | None = None
        self._view: memoryview | None = None
        self._filled = 0
        self._reserved = 0
        self._read: asyncio.Future[bytes | Unread] | None = None
        self._body_read = True  # the current request's body was read (or it had none)
        self._body_asked = False
        self._write_paused = False
        self._shutting = False
        self.task: asyncio.Task[None] | None = None  # the route answering, if one is

    # The transport's callbacks -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._server.opened(self)
        if self._server.closing:
            self.abort()
            return
        self._await_request()

    def get_buffer(self, sizehint: int) -> memoryview:
        if self._state is _State.BODY and self._view is not None:
            return self._view[self._filled :]
        return self._server.scratch()

    def buffer_updated(self, nbytes: int) -> None:
        state = self._state
        if state is _State.BODY:
            self._filled += nbytes
            if self._body is not None and self._filled >= len(self._body):
                self._body_arrived()
        elif state is _State.IDLE or state is _State.HEAD:
            self._take_head(bytes(self._server.scratch()[:nbytes]))
        elif state is _State.BUSY:
            # Reading is paused while a route answers; a read already under way is kept.
            self._pending += bytes(self._server.scratch()[:nbytes])
            if len(self._pending) > MAX_HEAD_BYTES + len(self._server.scratch()):
                self.abort()
        # LINGER: discarded.

    def eof_received(self) -> bool:
        if self._state is _State.HEAD:
            self._server.refuse("cut", self._peer, "connection closed", during="the head")
        elif self._state is _State.BODY:
            self._server.refuse("cut", self._peer, "connection closed", during="the body")
        return False  # the transport closes

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._state is _State.IDLE:
            self._continue()

    def connection_lost(self, exc: Exception | None) -> None:
        self._state = _State.CLOSED
        self._set_timer(None)
        read, self._read = self._read, None
        if read is not None and not read.done():
            read.set_exception(ConnectionResetError("the peer went away"))
        self._release()
        self._transport = None
        self._server.closed(self)

    # Closing -----------------------------------------------------------------------------------

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def shut(self) -> None:
        """The server is closing: close now if nothing is being answered, else after the
        answer."""
        self._shutting = True
        if self._state in (_State.IDLE, _State.LINGER):
            self.abort()

    def _close_quietly(self) -> None:
        transport = self._transport
        if transport is None:
            return
        if transport.get_write_buffer_size():
            transport.abort()  # a client that does not read what it was sent
        else:
            transport.close()

    # Requests ----------------------------------------------------------------------------------

    def _await_request(self) -> None:
        """Ready for the next request: idle, with its timer, and what came early read."""
        self._state = _State.IDLE
        self._head.clear()
        self._body_read = True
        self._server.reusable(self, True)
        self._set_timer(self._server.idle_seconds, self._idle_over)
        if not self._write_paused:
            self._continue()

    def _continue(self) -> None:
        transport = self._transport
        if transport is None:
            return
        transport.resume_reading()
        if self._pending:
            # In a turn of its own: requests sent ahead, each answered at once (a 404), would
            # otherwise nest one call deeper each.
            asyncio.get_running_loop().call_soon(self._take_pending)

    def _take_pending(self) -> None:
        if self._state is _State.IDLE and self._pending and not self._write_paused:
            pending, self._pending = self._pending, b""
            self._take_head(pending)

    def _take_head(self, data: bytes) -> None:
        if self._state is _State.IDLE:
            self._state = _State.HEAD
            self._server.reusable(self, False)
            self._set_timer(self._server.head_seconds, self._head_over)
        head = self._head
        searched = len(head)
        head += data
        if head and head[0] in b"\r\n":  # empty lines before a request line are ignored
            stripped = head.lstrip(b"\r\n")
            head[:] = stripped
            searched = 0
        end = head_end(head, searched)
        if end < 0:
            if len(head) > MAX_HEAD_BYTES:
                self._refuse(HEAD_TOO_LARGE)
            return
        if end > MAX_HEAD_BYTES:
            self._refuse(HEAD_TOO_LARGE)
            return
        self._pending = bytes(head[end + 4 :])
        parsed = parse_head(bytes(head[:end]))
        head.clear()
        if isinstance(parsed, Refusal):
            self._refuse(parsed)
        else:
            self._dispatch(parsed)

    def _refuse(self, refusal: Refusal) -> None:
        self._server.refuse(
            refusal.reason,
            self._peer,
            "request refused",
            status=refusal.status,
            detail=refusal.detail,
        )
        self._state = _State.BUSY
        self._body_read = False  # whatever follows cannot be framed
        self._answer(refusal_response(refusal), keep_alive=False)

    def _dispatch(self, head: RequestHead) -> None:
        assert self._transport is not None
        self._set_timer(None)
        self._state = _State.BUSY
        self._transport.pause_reading()
        self._body_read = head.content_length == 0
        self._body_asked = False
        head_only = False
        methods = self._routes.get(head.path)
        handler: Handler | None = None
        if methods is None:
            response = error_response(404, "no such path")
        else:
            handler = methods.get(head.method)
            if handler is None and head.method == "HEAD":
                handler = methods.get("GET")
                head_only = handler is not None
            allowed = ", ".join(sorted({*methods, *(["HEAD"] if "GET" in methods else [])}))
            response = error_response(405, "method not allowed", ("Allow", allowed))
        if handler is None:
            self._answer(response, keep_alive=head.keep_alive, head_only=head_only)
            return
        request = Request(head, self._peer, self)
        self.task = asyncio.get_running_loop().create_task(
            self._respond(handler, request, head_only=head_only)
        )

    async def _respond(self, handler: Handler, request: Request, *, head_only: bool) -> None:
        try:
            response = await handler(request)
        except ConnectionResetError:
            return  # the peer went away before its body came: nobody to answer
        except Exception:  # the one boundary for defects of ours behind a route
            log.exception("listener: a defect of the service while answering a request")
            response = error_response(500, "a defect of the service; retry later")
        self._answer(response, keep_alive=request.head.keep_alive, head_only=head_only)

    def _answer(self, response: Response, *, keep_alive: bool, head_only: bool = False) -> None:
        transport = self._transport
        if transport is None or self._state is _State.CLOSED:
            return  # the peer went away meanwhile
        keep = keep_alive and self._body_read and not self._shutting
        transport.write(
            response_bytes(response, date=self._server.date(), close=not keep, head_only=head_only)
        )
        if keep:
            self._await_request()
        else:
            self._linger()

    def _linger(self) -> None:
        """Close after the answer: the write side now, the connection once the peer closes or
        `linger_seconds` pass, discarding what it still sends (a body that was not read)."""
        transport = self._transport
        assert transport is not None
        self._state = _State.LINGER
        self._pending = b""
        self._server.reusable(self, True)
        self._set_timer(self._server.linger_seconds, self.abort)
        if self._shutting and self._body_read:
            transport.close()
            return
        if transport.can_write_eof():
            transport.write_eof()
        transport.resume_reading()

    # Bodies ------------------------------------------------------------------------------------

    async def read_body(self, head: RequestHead, within: float) -> bytes | Unread:
        transport = self._transport
        if transport is None or self._state is not _State.BUSY:
            raise ConnectionResetError("the peer went away")
        if self._body_asked:
            raise RuntimeError("a request's body is read once")
        self._body_asked = True
        length = head.content_length
        if not length:
            return b""
        server = self._server
        if server.reading_bytes + length > server.max_reading_bytes:
            return Unread.OVER_BUDGET
        server.reading_bytes += length
        self._reserved = length
        body = bytearray(length)
        early, self._pending = self._pending[:length], self._pending[length:]
        body[: len(early)] = early
        if len(early) == length:
            self._release()
            self._body_read = True
            return bytes(body)
        self._body, self._view, self._filled = body, memoryview(body), len(early)
        if head.expects_continue and not early:
            transport.write(CONTINUE)
        read: asyncio.Future[bytes | Unread] = asyncio.get_running_loop().create_future()
        self._read = read
        self._state = _State.BODY
        self._set_timer(within, self._body_over)
        transport.resume_reading()
        try:
            return await read
        finally:
            self._read = None
            self._release()

    def _body_arrived(self) -> None:
        assert self._transport is not None
        assert self._body is not None
        self._transport.pause_reading()
        self._set_timer(None)
        self._state = _State.BUSY
        self._body_read = True
        if self._read is not None and not self._read.done():
            self._read.set_result(bytes(self._body))

    def _body_over(self) -> None:
        self._timer = None
        if self._transport is not None:
            self._transport.pause_reading()
        self._state = _State.BUSY
        if self._read is not None and not self._read.done():
            self._read.set_result(Unread.TOO_SLOW)

    def _release(self) -> None:
        """Give the body's bytes back to the budget, and drop its buffer."""
        self._server.reading_bytes -= self._reserved
        self._reserved = 0
        if self._view is not None:
            self._view.release()
        self._body, self._view, self._filled = None, None, 0

    # Timers ------------------------------------------------------------------------------------

    def _set_timer(self, seconds: float | None, then: Callable[[], None] | None = None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if seconds is not None and then is not None:
            self._timer = asyncio.get_running_loop().call_later(seconds, then)

    def _idle_over(self) -> None:
        self._timer = None
        self._close_quietly()

    def _head_over(self) -> None:
        self._timer = None
        self._server.refuse("head_timeout", self._peer, "connection closed")
        self.abort()


def _settle(future: asyncio.Future[object]) -> None:
    if not future.done():
        future.set_result(None)
