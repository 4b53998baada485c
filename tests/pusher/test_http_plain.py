"""The lean plain-HTTP edge against scripted servers on 127.0.0.1, side by side with aiohttp.

Each failure is provoked for real (a server that closes, cuts an answer short, speaks nonsense
or stays silent), and both edges of `HttpPool` must report it in the same words.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from mesg_pusher import PusherConnectionError, PusherTimeoutError
from mesg_pusher.pusher import Connection, HttpPool, HttpRequest

pytestmark = pytest.mark.integration

REQUEST = HttpRequest("POST", "/apps/1/events", "auth_key=k", b'{"name":"e"}')
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Scripted:
    """A server that runs `script` on every connection and remembers what it saw."""

    script: Script
    port: int = 0
    connections: int = 0
    open_now: int = 0
    most_open: int = 0
    heads: list[bytes] = field(default_factory=list)
    server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            await self.script(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.open_now -= 1
            writer.close()

    async def read_request(self, reader: asyncio.StreamReader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        self.heads.append(head)
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        return await reader.readexactly(length)


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Script], Awaitable[Scripted]]]:
    servers: list[asyncio.Server] = []

    async def start(script: Script) -> Scripted:
        scripted = Scripted(script)
        server = await asyncio.start_server(scripted.handle, "127.0.0.1", 0)
        servers.append(server)
        scripted.server = server
        scripted.port = server.sockets[0].getsockname()[1]
        return scripted

    yield start
    for server in servers:
        server.close()


def connection(port: int, *, keep_alive: bool = True, timeout_ms: float = 5000) -> Connection:
    return Connection.create(
        host="127.0.0.1", port=port, keep_alive=keep_alive, timeout_ms=timeout_ms
    )


async def send_with(lean: bool, port: int, **settings: object) -> tuple[int, bytes]:
    http = HttpPool(lean=lean)
    try:
        return await http.send(connection(port, **settings), REQUEST)  # type: ignore[arg-type]
    finally:
        await http.close()


async def error_of(lean: bool, port: int, **settings: object) -> str:
    with pytest.raises((PusherConnectionError, PusherTimeoutError)) as caught:
        await send_with(lean, port, **settings)
    return f"{type(caught.value).__name__}: {caught.value}"


async def test_keep_alive_reuses_one_connection(
    serve: Callable[[Script], Awaitable[Scripted]],
) -> None:
    async def answer_many(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(10):
            await scripted.read_request(reader)
            writer.write(OK)

    scripted = await serve(answer_many)
    http = HttpPool()
    try:
        for _ in range(5):
            assert await http.send(connection(scripted.port), REQUEST) == (200, b"{}")
    finally:
        await http.close()
    assert scripted.connections == 1
    head = scripted.heads[0]
    assert head.startswith(b"POST /apps/1/events?auth_key=k HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{scripted.port}\r\n".encode() in head
    assert b"User-Agent: mesg-pusher/" in head
    assert b"Content-Type: application/json\r\n" in head
    assert b"Connection: close" not in head


async def test_without_keep_alive_each_request_has_its_own_connection(
    serve: Callable[[Script], Awaitable[Scripted]],
) -> None:
    async def answer_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await scripted.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
        await reader.read()  # the client closes first

    scripted = await serve(answer_once)
    http = HttpPool()
    try:
        for _ in range(3):
            await http.send(connection(scripted.port, keep_alive=False), REQUEST)
    finally:
        await http.close()
    assert scripted.connections == 3
    assert all(b"Connection: close\r\n" in head for head in scripted.heads)


async def test_a_connection_the_server_closed_while_idle_is_replaced(
    serve: Callable[[Script], Awaitable[Scripted]],
) -> None:
    async def answer_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await scripted.read_request(reader)
        writer.write(OK)  # keep-alive answer, then the server drops the idle connection
        await writer.drain()

    scripted = await serve(answer_then_close)
    http = HttpPool()
    try:
        for _ in range(3):
            assert await http.send(connection(scripted.port), REQUEST) == (200, b"{}")
            await asyncio.sleep(0.05)  # lets the close arrive while the connection is idle
    finally:
        await http.close()
    assert scripted.connections == 3


async def test_chunked_and_read_to_close_answers(
    serve: Callable[[Script], Awaitable[Scripted]],
) -> None:
    answers = [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n1\r\n}\r\n0\r\n\r\n",
        b'HTTP/1.1 202 Accepted\r\n\r\n{"a":1}',
    ]

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await scripted.read_request(reader)
        for byte in answers[scripted.connections - 1]:  # a byte at a time
            writer.write(bytes([byte]))
            await writer.drain()
        # the second answer ends when the connection does

    scripted = await serve(answer)
    for lean in (True, False):
        scripted.connections = 0
        assert await send_with(lean, scripted.port) == (200, b"{}")
        assert await send_with(lean, scripted.port) == (202, b'{"a":1}')


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()


async def close_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")


async def cut_short(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{}")
    await writer.drain()


async def nonsense(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
    await writer.drain()
    await reader.read()


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (close_at_once, "failed: the server closed the connection without answering"),
        (cut_short, "failed: the answer was cut short"),
        (silent, "timed out after 300 ms"),
    ],
)
async def test_failures_read_the_same_on_both_edges(
    serve: Callable[[Script], Awaitable[Scripted]], script: Script, expected: str
) -> None:
    scripted = await serve(script)
    lean = await error_of(True, scripted.port, timeout_ms=300)
    assert lean == await error_of(False, scripted.port, timeout_ms=300)
    assert lean.endswith(expected), lean


async def test_invalid_http_is_reported(serve: Callable[[Script], Awaitable[Scripted]]) -> None:
    scripted = await serve(nonsense)
    for lean in (True, False):
        message = await error_of(lean, scripted.port)
        assert "failed: the answer was not valid HTTP" in message, message


async def test_refused_connection_reads_the_same(
    serve: Callable[[Script], Awaitable[Scripted]],
) -> None:
    scripted = await serve(silent)
    assert scripted.server is not None
    scripted.server.close()
    await scripted.server.wait_closed()
    lean = await error_of(True, scripted.port)
    assert lean == await error_of(False, scripted.port)
    assert lean.endswith("could not connect: Connection refused")


async def test_connections_are_bounded_and_every_request_answered(
    serve: Callable[[Script], Awaitable[Scripted]],
) -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await scripted.read_request(reader)
            await asyncio.sleep(0.01)
            writer.write(OK)

    scripted = await serve(slow)
    http = HttpPool(limit=3)
    try:
        answers = await asyncio.gather(
            *(http.send(connection(scripted.port), REQUEST) for _ in range(30))
        )
    finally:
        await http.close()
    assert answers == [(200, b"{}")] * 30
    assert scripted.most_open <= 3


async def test_a_cancelled_request_frees_its_connection(
    serve: Callable[[Script], Awaitable[Scripted]],
) -> None:
    async def hang_then_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await scripted.read_request(reader)
        if scripted.connections == 1:
            await reader.read()  # never answers the first
            return
        writer.write(OK)

    scripted = await serve(hang_then_answer)
    http = HttpPool(limit=1)
    try:
        task = asyncio.create_task(http.send(connection(scripted.port), REQUEST))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        answer = await asyncio.wait_for(http.send(connection(scripted.port), REQUEST), 5)
    finally:
        await http.close()
    assert answer == (200, b"{}")
    assert scripted.connections == 2


async def test_a_closed_pool_refuses_requests() -> None:
    http = HttpPool()
    await http.close()
    with pytest.raises(RuntimeError, match="closed"):
        await http.send(connection(1), REQUEST)


BIG = 2 * 1024 * 1024


@pytest.mark.parametrize("lean", [True, False])
@pytest.mark.parametrize("framing", ["length", "chunked", "close"])
async def test_answers_larger_than_a_mebibyte_are_refused_on_both_edges(
    serve: Callable[[Script], Awaitable[Scripted]], lean: bool, framing: str
) -> None:
    async def flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await scripted.read_request(reader)
        block = b"x" * 65536
        if framing == "length":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % BIG)
        elif framing == "chunked":
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            block = b"10000\r\n" + block + b"\r\n"
        else:
            writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
        for _ in range(BIG // 65536):
            writer.write(block)
            await writer.drain()

    scripted = await serve(flood)
    message = await error_of(lean, scripted.port)
    assert message == (
        f"PusherConnectionError: request to http://127.0.0.1:{scripted.port}/apps/1/events "
        "failed: the answer is larger than 1048576 bytes"
    )


async def test_closing_the_pool_fails_requests_still_waiting_for_room(
    serve: Callable[[Script], Awaitable[Scripted]],
) -> None:
    release = asyncio.Event()
    arrived = asyncio.Event()

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await scripted.read_request(reader)
        arrived.set()
        await release.wait()
        writer.write(OK)

    scripted = await serve(slow)
    http = HttpPool(limit=1)
    first = asyncio.create_task(http.send(connection(scripted.port), REQUEST))
    second = asyncio.create_task(http.send(connection(scripted.port), REQUEST))
    await asyncio.wait_for(arrived.wait(), 5)
    await asyncio.sleep(0.05)  # the second request is now waiting for room
    await http.close()
    release.set()
    assert await first == (200, b"{}")
    with pytest.raises(PusherConnectionError, match="shutting down: the request was not sent"):
        await second
    assert scripted.connections == 1
