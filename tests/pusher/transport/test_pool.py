"""`HttpPool` against scripted servers on 127.0.0.1, over plain HTTP and over TLS alike.

Each failure is provoked for real (a server that closes, cuts an answer short, speaks nonsense
or stays silent), must read the same over both, and must say whether the request was written
(`sent`): what a caller decides a retry on.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from mesg_pusher import PusherConnectionError, PusherTimeoutError
from mesg_pusher.pusher import Connection, HttpPool, HttpRequest
from mesg_pusher.pusher.transport import _pool
from tests.support.tls import TestCertificates

pytestmark = pytest.mark.integration

REQUEST = HttpRequest("POST", "/apps/1/events", "auth_key=k", b'{"name":"e"}')
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
Serve = Callable[[Script], Awaitable["Scripted"]]


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
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
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


@pytest.fixture(params=["http", "https"])
def scheme(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def serve(scheme: str, certificates: TestCertificates) -> AsyncIterator[Serve]:
    servers: list[asyncio.Server] = []
    context = certificates.server_context() if scheme == "https" else None

    async def start(script: Script) -> Scripted:
        scripted = Scripted(script)
        server = await asyncio.start_server(scripted.handle, "127.0.0.1", 0, ssl=context)
        servers.append(server)
        scripted.server = server
        scripted.port = server.sockets[0].getsockname()[1]
        return scripted

    yield start
    for server in servers:
        server.close()


@pytest.fixture
async def pool(certificates: TestCertificates) -> AsyncIterator[HttpPool]:
    http = HttpPool(ssl_context=certificates.client_context())
    yield http
    await http.close()


def connection(
    scheme: str, port: int, *, keep_alive: bool = True, timeout_ms: float = 5000
) -> Connection:
    return Connection.create(
        host="127.0.0.1",
        port=port,
        tls=scheme == "https",
        keep_alive=keep_alive,
        timeout_ms=timeout_ms,
    )


async def failure_of(
    http: HttpPool, scheme: str, port: int, **settings: object
) -> PusherConnectionError:
    with pytest.raises(PusherConnectionError) as caught:
        await http.send(connection(scheme, port, **settings), REQUEST)  # type: ignore[arg-type]
    return caught.value


async def test_keep_alive_reuses_one_connection(scheme: str, serve: Serve, pool: HttpPool) -> None:
    async def answer_many(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(10):
            await scripted.read_request(reader)
            writer.write(OK)

    scripted = await serve(answer_many)
    for _ in range(5):
        assert await pool.send(connection(scheme, scripted.port), REQUEST) == (200, b"{}")
    assert scripted.connections == 1
    head = scripted.heads[0]
    assert head.startswith(b"POST /apps/1/events?auth_key=k HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{scripted.port}\r\n".encode() in head
    assert b"User-Agent: mesg-pusher/" in head
    assert b"Content-Type: application/json\r\n" in head
    assert b"Connection: close" not in head


async def test_without_keep_alive_each_request_has_its_own_connection(
    scheme: str, serve: Serve, pool: HttpPool
) -> None:
    async def answer_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await scripted.read_request(reader)
        writer.write(OK)
        await reader.read()  # the client closes first

    scripted = await serve(answer_once)
    for _ in range(3):
        await pool.send(connection(scheme, scripted.port, keep_alive=False), REQUEST)
    assert scripted.connections == 3
    assert all(b"Connection: close\r\n" in head for head in scripted.heads)


async def test_a_connection_the_server_closed_while_idle_is_replaced(
    scheme: str, serve: Serve, pool: HttpPool
) -> None:
    async def answer_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await scripted.read_request(reader)
        writer.write(OK)  # keep-alive answer, then the server drops the idle connection
        await writer.drain()

    scripted = await serve(answer_then_close)
    for _ in range(3):
        assert await pool.send(connection(scheme, scripted.port), REQUEST) == (200, b"{}")
        await asyncio.sleep(0.05)  # lets the close arrive while the connection is idle
    assert scripted.connections == 3


async def answer_then_close(
    scripted: Scripted, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """A keep-alive answer (no ``Connection: close``), then the connection closed at once: how
    tinyproxy treats its clients."""
    await scripted.read_request(reader)
    writer.write(OK)
    await writer.drain()


async def test_a_server_that_closes_after_each_answer_gets_a_connection_per_request(
    scheme: str, serve: Serve, pool: HttpPool
) -> None:
    scripted = await serve(lambda reader, writer: answer_then_close(scripted, reader, writer))
    for _ in range(3):
        assert await pool.send(connection(scheme, scripted.port), REQUEST) == (200, b"{}")
        await asyncio.sleep(0.05)  # the close arrives while the connection is idle
    assert scripted.connections == 3
    # The first connection was kept; found closed soon after its answer, it marked the
    # endpoint, and the next requests say they close their connections.
    closes = [b"Connection: close\r\n" in head for head in scripted.heads]
    assert closes == [False, True, True]
    assert pool.open_connections == 0


async def test_a_server_that_closes_an_idle_connection_later_keeps_keep_alive(
    scheme: str, serve: Serve, pool: HttpPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def answer_then_close_later(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await scripted.read_request(reader)
        writer.write(OK)
        await writer.drain()
        await asyncio.sleep(0.02)

    monkeypatch.setattr(_pool, "QUICK_CLOSE_SECONDS", 0.0)  # every close is "late"
    scripted = await serve(answer_then_close_later)
    for _ in range(3):
        assert await pool.send(connection(scheme, scripted.port), REQUEST) == (200, b"{}")
        await asyncio.sleep(0.1)
    assert scripted.connections == 3
    assert not any(b"Connection: close" in head for head in scripted.heads)


async def test_a_request_lost_to_a_close_after_the_answer_marks_the_endpoint(
    scheme: str, serve: Serve, pool: HttpPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def answer_one_then_drop(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await scripted.read_request(reader)
        writer.write(OK)
        await writer.drain()
        await scripted.read_request(reader)  # the next one is read and dropped, unanswered

    scripted = await serve(answer_one_then_drop)
    assert await pool.send(connection(scheme, scripted.port), REQUEST) == (200, b"{}")
    error = await failure_of(pool, scheme, scripted.port)
    assert str(error).endswith("failed: the server closed the connection without answering")
    assert error.sent is True  # the server read it: it may have acted on it
    assert await pool.send(connection(scheme, scripted.port), REQUEST) == (200, b"{}")
    assert scripted.connections == 2
    closes = [b"Connection: close\r\n" in head for head in scripted.heads]
    assert closes == [False, False, True]
    # The mark lasts `CLOSING_SECONDS`: past it, connections are kept again, until the next
    # request lost the same way.
    later = SimpleNamespace(monotonic=lambda: time.monotonic() + _pool.CLOSING_SECONDS)
    monkeypatch.setattr(_pool, "time", later)
    assert await pool.send(connection(scheme, scripted.port), REQUEST) == (200, b"{}")
    assert (await failure_of(pool, scheme, scripted.port)).sent is True
    assert await pool.send(connection(scheme, scripted.port), REQUEST) == (200, b"{}")
    closes = [b"Connection: close\r\n" in head for head in scripted.heads]
    assert closes == [False, False, True, False, False, True]


async def test_chunked_and_read_to_close_answers(scheme: str, serve: Serve, pool: HttpPool) -> None:
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
    assert await pool.send(connection(scheme, scripted.port), REQUEST) == (200, b"{}")
    assert await pool.send(connection(scheme, scripted.port), REQUEST) == (202, b'{"a":1}')


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
        (nonsense, "failed: the answer was not valid HTTP (bad status line"),
        (silent, "timed out after 300 ms"),
    ],
)
async def test_a_request_written_and_not_answered_says_it_was_sent(
    scheme: str, serve: Serve, pool: HttpPool, script: Script, expected: str
) -> None:
    scripted = await serve(script)
    # Short only where the timeout is what is tried: a loaded machine must not turn the others
    # into timeouts.
    error = await failure_of(
        pool, scheme, scripted.port, timeout_ms=300 if script is silent else 10_000
    )
    assert str(error).startswith(f"request to {scheme}://127.0.0.1:{scripted.port}/apps/1/events ")
    assert expected in str(error)
    assert isinstance(error, PusherTimeoutError) == (script is silent)
    assert error.sent is True
    assert "auth_key" not in str(error)


async def test_a_refused_connection_was_not_sent(scheme: str, serve: Serve, pool: HttpPool) -> None:
    scripted = await serve(silent)
    assert scripted.server is not None
    scripted.server.close()
    await scripted.server.wait_closed()
    error = await failure_of(pool, scheme, scripted.port)
    assert str(error).endswith("failed: could not connect: Connection refused")
    assert error.sent is False


async def test_a_tls_handshake_that_never_ends_times_out_unsent(
    certificates: TestCertificates, pool: HttpPool
) -> None:
    async def mute(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # takes the connection, never answers the ClientHello

    server = await asyncio.start_server(mute, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        error = await failure_of(pool, "https", port, timeout_ms=300)
    finally:
        server.close()
    assert isinstance(error, PusherTimeoutError)
    assert error.sent is False


async def test_connections_are_bounded_and_every_request_answered(
    scheme: str, serve: Serve, certificates: TestCertificates
) -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await scripted.read_request(reader)
            await asyncio.sleep(0.01)
            writer.write(OK)

    scripted = await serve(slow)
    http = HttpPool(limit=3, ssl_context=certificates.client_context())
    try:
        answers = await asyncio.gather(
            *(http.send(connection(scheme, scripted.port), REQUEST) for _ in range(30))
        )
    finally:
        await http.close()
    assert answers == [(200, b"{}")] * 30
    assert scripted.most_open <= 3


async def test_a_cancelled_request_frees_its_connection(
    scheme: str, serve: Serve, certificates: TestCertificates
) -> None:
    answered = asyncio.Event()

    async def hang_then_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await scripted.read_request(reader)
        if scripted.connections == 1:
            answered.set()
            await reader.read()  # never answers the first
            return
        writer.write(OK)

    scripted = await serve(hang_then_answer)
    http = HttpPool(limit=1, ssl_context=certificates.client_context())
    try:
        task = asyncio.create_task(http.send(connection(scheme, scripted.port), REQUEST))
        await asyncio.wait_for(answered.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        answer = await asyncio.wait_for(http.send(connection(scheme, scripted.port), REQUEST), 5)
    finally:
        await http.close()
    assert answer == (200, b"{}")
    assert scripted.connections == 2


async def test_a_closed_pool_refuses_requests() -> None:
    http = HttpPool()
    await http.close()
    with pytest.raises(RuntimeError, match="closed"):
        await http.send(connection("http", 1), REQUEST)


def test_a_context_that_does_not_verify_is_refused() -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with pytest.raises(ValueError, match="must verify certificates"):
        HttpPool(ssl_context=context)


BIG = 2 * 1024 * 1024


@pytest.mark.parametrize("framing", ["length", "chunked", "close"])
async def test_answers_larger_than_a_mebibyte_are_refused(
    scheme: str, serve: Serve, pool: HttpPool, framing: str
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
    error = await failure_of(pool, scheme, scripted.port)
    assert str(error) == (
        f"request to {scheme}://127.0.0.1:{scripted.port}/apps/1/events "
        "failed: the answer is larger than 1048576 bytes"
    )


async def test_closing_the_pool_fails_requests_still_waiting_for_room(
    scheme: str, serve: Serve, certificates: TestCertificates
) -> None:
    release = asyncio.Event()
    arrived = asyncio.Event()

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await scripted.read_request(reader)
        arrived.set()
        await release.wait()
        writer.write(OK)

    scripted = await serve(slow)
    http = HttpPool(limit=1, ssl_context=certificates.client_context())
    first = asyncio.create_task(http.send(connection(scheme, scripted.port), REQUEST))
    second = asyncio.create_task(http.send(connection(scheme, scripted.port), REQUEST))
    await asyncio.wait_for(arrived.wait(), 5)
    await asyncio.sleep(0)  # the second request is waiting for room (one connection at most)
    close = asyncio.create_task(http.close())
    with pytest.raises(PusherConnectionError, match="shutting down: the request was not sent"):
        await second
    release.set()
    assert await first == (200, b"{}")
    await close
    assert scripted.connections == 1
    assert http.open_connections == 0


async def test_a_handshake_the_server_resets_or_closes_is_a_tls_failure_unsent(
    certificates: TestCertificates, pool: HttpPool
) -> None:
    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(10)  # the ClientHello is in
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()  # RST

    async def close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(10)
        writer.close()  # FIN

    details = []
    for script in (reset, close):
        server = await asyncio.start_server(script, "127.0.0.1", 0)
        try:
            error = await failure_of(pool, "https", server.sockets[0].getsockname()[1])
        finally:
            server.close()
        assert error.sent is False
        details.append(error.detail)
    assert details == [
        "TLS failed: Connection reset by peer during the handshake",
        "TLS failed: the server closed the connection during the handshake",
    ]
