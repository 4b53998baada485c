"""One client connection of the HTTP edge (``_http_server.py``), as an asyncio protocol: its
head gathered, its route called, its body read when the route asks (straight into the body's
buffer), its answer written, and its one timer through the states of `_State` (what each
state's time is: ``_http_rules.py``). What it shares with every connection (the byte budget,
the counts, the log) it asks of its server (`ConnectionHost`).

A route gets a `Request` and returns a `Response`. It reads the body only if it wants it
(`Request.body`), within the time it gives and the byte budget; an answer given without reading
the body closes the connection. Reading is paused while a route runs, so a client cannot push
more than one read's worth ahead of its answer.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

from ._http_rules import (
    CONTINUE,
    HEAD_TOO_LARGE,
    MAX_HEAD_BYTES,
    Refusal,
    RequestHead,
    Response,
    error_response,
    head_end,
    parse_head,
    refusal_response,
    response_bytes,
)

log = logging.getLogger("mesg_pusher.runtime")


class ConnectionHost(Protocol):
    """What a connection asks of the server that accepted it (``_http_server.HttpServer``):
    its timers, the byte budget over bodies being read, the counts and the log."""

    closing: bool
    idle_seconds: float
    head_seconds: float
    linger_seconds: float
    reading_bytes: int
    max_reading_bytes: int

    def opened(self, connection: Connection) -> None: ...
    def closed(self, connection: Connection) -> None: ...
    def reusable(self, connection: Connection, reusable: bool) -> None: ...
    def refuse(self, reason: str, peer: str, message: str, **fields: object) -> None: ...
    def scratch(self) -> memoryview: ...
    def date(self) -> str: ...


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

    def __init__(self, head: RequestHead, peer: str, connection: Connection) -> None:
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


class Connection(asyncio.BufferedProtocol):
    """One client connection, through the states of `_State` (see ``_http_rules.py``)."""

    def __init__(self, server: ConnectionHost, routes: Routes, peer: str) -> None:
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
