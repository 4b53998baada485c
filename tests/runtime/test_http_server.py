"""The HTTP edge in this process, with small limits, met by raw sockets: keep-alive and requests
sent ahead, HEAD, 404 and 405, ``100 Continue``, bodies across reads, the byte budget, the
timers, the connection limit (the oldest idle connection closed for a newcomer) and closing."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import pytest

from mesg_pusher.runtime._http_connection import Request, Routes, Unread
from mesg_pusher.runtime._http_rules import EVICTABLE_AFTER, Response
from mesg_pusher.runtime._http_server import HttpServer
from tests.runtime.conftest import WAIT, until


async def echo(request: Request) -> Response:
    """Answers with the body it read, or why it did not (within 2 s: what a test sends whole
    must arrive in time on a loaded machine, what it withholds is answered 408 soon)."""
    body = await request.body(within=2.0)
    if isinstance(body, Unread):
        return Response(
            503 if body is Unread.OVER_BUDGET else 408, body.value.encode(), "text/plain"
        )
    return Response(200, body, "text/plain")


async def refuse(request: Request) -> Response:
    """Answers without reading the body."""
    return Response(401, b"no", "text/plain")


async def hello(request: Request) -> Response:
    return Response(200, b"hello", "text/plain")


ROUTES: Routes = {"/echo": {"POST": echo}, "/refuse": {"POST": refuse}, "/hello": {"GET": hello}}


@asynccontextmanager
async def serving(**limits: int | float) -> AsyncIterator[tuple[HttpServer, int, list[str]]]:
    refused: list[str] = []
    options: dict[str, int | float] = {"max_reading_bytes": 1000, "max_connections": 50}
    server = HttpServer(refused=refused.append, **{**options, **limits})  # type: ignore[arg-type]
    _, port = await server.listen("127.0.0.1", 0, ROUTES)
    try:
        yield server, port, refused
    finally:
        await server.close()


async def connect(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    async with asyncio.timeout(WAIT):
        return await asyncio.open_connection("127.0.0.1", port)


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    async with asyncio.timeout(WAIT):
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        fields = dict(line.split(": ", 1) for line in lines[1:] if line)
        body = await reader.readexactly(int(fields["Content-Length"]))
    return int(lines[0][9:12]), fields, body


async def closed(reader: asyncio.StreamReader, within: float = WAIT) -> bool:
    try:
        async with asyncio.timeout(within):
            while await reader.read(65536):
                pass
    except TimeoutError:
        return False
    except ConnectionError:
        return True
    return True


async def test_one_connection_carries_requests_one_after_another_and_sent_ahead() -> None:
    async with serving() as (_, port, _):
        reader, writer = await connect(port)
        writer.write(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await read_answer(reader))[::2] == (200, b"hello")
        # Many requests at once, the last a POST with its body: each answered in order, and no
        # answer nests the next one's handling one call deeper.
        ahead = b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n" * 2000
        writer.write(ahead + b"POST /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
        for _ in range(2000):
            status, fields, _ = await read_answer(reader)
            assert status == 404
            assert "Connection" not in fields
        assert (await read_answer(reader))[::2] == (200, b"abc")
        writer.close()


async def test_head_404_405_and_http_1_0() -> None:
    async with serving() as (_, port, _):
        reader, writer = await connect(port)
        writer.write(b"HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        async with asyncio.timeout(WAIT):
            head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"Content-Length: 5\r\n" in head
        writer.write(b"DELETE /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        status, fields, body = await read_answer(reader)
        assert (status, fields["Allow"], body) == (
            405,
            "GET, HEAD",
            b'{"error":"method not allowed"}',
        )
        writer.write(b"GET /hello HTTP/1.0\r\n\r\n")
        status, fields, _ = await read_answer(reader)
        assert (status, fields["Connection"]) == (200, "close")
        assert await closed(reader)


async def test_100_continue_and_a_body_in_pieces() -> None:
    async with serving() as (_, port, _):
        reader, writer = await connect(port)
        writer.write(b"POST /echo HTTP/1.1\r\nContent-Length: 6\r\nExpect: 100-continue\r\n\r\n")
        async with asyncio.timeout(WAIT):
            assert await reader.readuntil(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
        for piece in (b"ab", b"cd", b"ef"):
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0.05)
        assert (await read_answer(reader))[::2] == (200, b"abcdef")
        writer.close()


async def test_an_answer_given_without_the_body_closes_the_connection_once_read() -> None:
    async with serving() as (_, port, _):
        reader, writer = await connect(port)
        writer.write(b"POST /refuse HTTP/1.1\r\nContent-Length: 100000\r\n\r\n" + b"x" * 50000)
        status, fields, body = await read_answer(reader)
        assert (status, fields["Connection"], body) == (401, "close", b"no")
        with suppress(ConnectionError):
            writer.write(b"x" * 50000)  # the rest is discarded while the connection lingers
        assert await closed(reader)


async def test_the_byte_budget_over_bodies_being_read() -> None:
    async with serving(max_reading_bytes=1000) as (server, port, _):
        first_reader, first = await connect(port)
        first.write(b"POST /echo HTTP/1.1\r\nContent-Length: 800\r\n\r\n" + b"x" * 10)
        await until(lambda: server.reading_bytes == 800)
        reader, writer = await connect(port)
        writer.write(b"POST /echo HTTP/1.1\r\nContent-Length: 300\r\n\r\n")
        assert (await read_answer(reader))[::2] == (503, b"over_budget")
        writer.close()
        # The first one never comes whole: too slow, and its bytes are given back.
        assert (await read_answer(first_reader))[::2] == (408, b"too_slow")
        assert server.reading_bytes == 0
        reader, writer = await connect(port)
        writer.write(b"POST /echo HTTP/1.1\r\nContent-Length: 300\r\n\r\n" + b"y" * 300)
        assert (await read_answer(reader))[::2] == (200, b"y" * 300)
        writer.close()
        first.close()


async def test_a_peer_gone_mid_body_gives_its_bytes_back() -> None:
    async with serving() as (server, port, refused):
        _, writer = await connect(port)
        writer.write(b"POST /echo HTTP/1.1\r\nContent-Length: 500\r\n\r\nabc")
        await until(lambda: server.reading_bytes == 500)
        writer.close()
        await until(lambda: server.reading_bytes == 0 and server.connections == 0)
        assert refused == ["cut"]


async def test_idle_and_slow_heads_are_closed_by_their_timers() -> None:
    async with serving(idle_seconds=0.3, head_seconds=0.3) as (server, port, refused):
        idle_reader, _kept = await connect(port)  # a writer freed closes its connection
        slow_reader, slow = await connect(port)
        slow.write(b"GET /hel")
        assert await closed(idle_reader, within=5.0)
        assert await closed(slow_reader, within=5.0)
        assert refused == ["head_timeout"]  # an idle connection is no refusal
        await until(lambda: server.connections == 0)


async def test_at_the_limit_the_oldest_idle_connection_makes_room() -> None:
    async with serving(max_connections=3) as (server, port, _):
        idle = [await connect(port) for _ in range(3)]  # the writers kept: they close when freed
        await until(lambda: server.connections == 3)
        await asyncio.sleep(EVICTABLE_AFTER)  # now they may make room
        reader, writer = await connect(port)
        writer.write(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await read_answer(reader))[::2] == (200, b"hello")
        assert await closed(idle[0][0])  # the oldest
        assert server.connections == 3
        writer.close()


async def test_at_the_limit_with_none_idle_newcomers_wait_in_the_backlog() -> None:
    async with serving(max_connections=2, head_seconds=1.0) as (server, port, refused):
        busy = [await connect(port) for _ in range(2)]
        for _, writer in busy:
            writer.write(b"GET /hel")  # heads under way: not idle, never closed for room
        await until(lambda: server.connections == 2)
        reader, writer = await connect(port)  # the kernel completes it; the edge waits
        writer.write(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await read_answer(reader))[::2] == (200, b"hello")
        # It was taken once a slow head had timed out, and not before.
        assert "head_timeout" in refused
        writer.close()


async def test_closing_answers_what_is_under_way_and_ends_every_connection() -> None:
    gate = asyncio.Event()

    async def slow(request: Request) -> Response:
        await gate.wait()
        return Response(200, b"late", "text/plain")

    server = HttpServer(max_reading_bytes=1000, max_connections=10)
    _, port = await server.listen("127.0.0.1", 0, {"/slow": {"GET": slow}})
    idle_reader, _kept = await connect(port)  # a writer freed closes its connection
    reader, writer = await connect(port)
    writer.write(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
    await until(lambda: server.connections == 2)
    closing = asyncio.create_task(server.close(within=WAIT))
    assert await closed(idle_reader)
    gate.set()
    status, fields, body = await read_answer(reader)
    assert (status, fields["Connection"], body) == (200, "close", b"late")
    await closing
    assert server.connections == 0
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
