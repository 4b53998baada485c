"""`HttpPool` against real servers on 127.0.0.1: plain and TLS endpoints behind one connection
budget, pooled connections that the server closed while they were idle (a TLS one too), and a
written request never sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Iterator

import pytest

from mesg_pusher import PusherConnectionError
from mesg_pusher.pusher import Connection, HttpPool, HttpRequest
from mesg_pusher.pusher.transport import _pool
from tests.support.idle_closer import IdleCloser
from tests.support.tls import TestCertificates

pytestmark = pytest.mark.integration

REQUEST = HttpRequest("POST", "/apps/1/events", "auth_key=k", b'{"name":"e"}')


def connection(port: int, *, tls: bool, keep_alive: bool = True) -> Connection:
    return Connection.create(
        host="127.0.0.1", port=port, tls=tls, keep_alive=keep_alive, timeout_ms=5000
    )


@pytest.fixture(params=["plain", "tls"])
def edge(request: pytest.FixtureRequest) -> bool:
    return bool(request.param == "tls")


@pytest.fixture
def closer(edge: bool, certificates: TestCertificates) -> Iterator[IdleCloser]:
    server = IdleCloser(certificates.server_context() if edge else None).start()
    yield server
    server.stop()


def pool(certificates: TestCertificates, **settings: object) -> HttpPool:
    return HttpPool(ssl_context=certificates.client_context(), **settings)  # type: ignore[arg-type]


async def test_a_pooled_connection_closed_while_idle_is_not_used(
    edge: bool, closer: IdleCloser, certificates: TestCertificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server closes each connection 50 ms after its answer, soon enough to count as one
    # that closes after every answer and lose keep-alive for a while; not here.
    monkeypatch.setattr(_pool, "QUICK_CLOSE_SECONDS", 0.0)
    http = pool(certificates)
    try:
        for round_ in range(3):
            assert await http.send(connection(closer.port, tls=edge), REQUEST) == (200, b"{}")
            await asyncio.sleep(0.05)  # the answer is read and the connection idle
            closer.wait_idle(1)
            # Closed by the server, and the end-of-stream is in the client's socket; the event
            # loop has not run since, so nothing but a look at the socket can tell.
            assert closer.close_idle() == 1
            assert closer.connections == round_ + 1
        assert await http.send(connection(closer.port, tls=edge), REQUEST) == (200, b"{}")
    finally:
        await http.close()
    assert (closer.connections, closer.requests) == (4, 4)


async def test_a_live_pooled_connection_is_still_reused(
    edge: bool, closer: IdleCloser, certificates: TestCertificates
) -> None:
    http = pool(certificates)
    try:
        for _ in range(5):
            assert await http.send(connection(closer.port, tls=edge), REQUEST) == (200, b"{}")
            await asyncio.sleep(0.05)  # whatever the server sends after a handshake is read
    finally:
        await http.close()
    assert (closer.connections, closer.requests) == (1, 5)


class Counting:
    """Servers (plain and TLS) on 127.0.0.1 that answer each request after `delay` and count
    the connections open at once over all of them."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.open_now = 0
        self.most_open = 0
        self.closed = 0
        self.servers: list[asyncio.Server] = []

    async def start(self, context: ssl.SSLContext | None) -> int:
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=context)
        self.servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
                await asyncio.sleep(self.delay)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            self.open_now -= 1
            self.closed += 1
            writer.close()

    def stop(self) -> None:
        for server in self.servers:
            server.close()


async def test_one_budget_bounds_plain_and_tls_endpoints_together(
    certificates: TestCertificates,
) -> None:
    counting = Counting(delay=0.01)
    plain = await counting.start(None)
    tls = await counting.start(certificates.server_context())
    http = pool(certificates, limit=3)
    try:
        sends = [
            http.send(connection(port, tls=port == tls, keep_alive=keep_alive), REQUEST)
            for port in (plain, tls)
            for keep_alive in (True, False)
            for _ in range(15)
        ]
        answers = await asyncio.gather(*sends)
    finally:
        await http.close()
        counting.stop()
    assert answers == [(200, b"{}")] * 60
    assert counting.most_open <= 3


async def test_an_idle_connection_of_one_endpoint_makes_room_for_another(
    certificates: TestCertificates,
) -> None:
    counting = Counting(delay=0)
    plain = await counting.start(None)
    tls = await counting.start(certificates.server_context())
    http = pool(certificates, limit=1)
    try:
        for port in (tls, plain, tls, plain):
            answer = await asyncio.wait_for(
                http.send(connection(port, tls=port == tls), REQUEST), 5
            )
            assert answer == (200, b"{}")
            await asyncio.sleep(0.05)  # the closed one is seen closed by its server
            assert counting.open_now == 1
    finally:
        await http.close()
        counting.stop()
    assert counting.closed >= 3


async def test_a_request_that_reached_the_server_is_never_sent_again(
    edge: bool, certificates: TestCertificates
) -> None:
    seen: list[bytes] = []

    async def answer_first_only(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                await reader.readexactly(len(REQUEST.body))
                seen.append(head)
                if len(seen) > 1:
                    return  # read it, then close without answering
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()

    context = certificates.server_context() if edge else None
    server = await asyncio.start_server(answer_first_only, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    http = pool(certificates)
    try:
        assert await http.send(connection(port, tls=edge), REQUEST) == (200, b"{}")
        with pytest.raises(
            PusherConnectionError, match="closed the connection without answering"
        ) as caught:
            await http.send(connection(port, tls=edge), REQUEST)
        assert caught.value.sent is True
    finally:
        await http.close()
        server.close()
    assert len(seen) == 2


async def test_closing_fails_a_tls_request_still_waiting_for_room(
    certificates: TestCertificates,
) -> None:
    counting = Counting(delay=0.5)
    port = await counting.start(certificates.server_context())
    http = pool(certificates, limit=1)
    first = asyncio.create_task(http.send(connection(port, tls=True), REQUEST))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(http.send(connection(port, tls=True), REQUEST))
    await asyncio.sleep(0.05)  # the second is now waiting for room
    await http.close()
    with pytest.raises(
        PusherConnectionError, match="shutting down: the request was not sent"
    ) as caught:
        await second
    assert caught.value.sent is False
    with contextlib.suppress(PusherConnectionError):
        await first  # cut off by the close, or answered: either way it was sent once
    counting.stop()
