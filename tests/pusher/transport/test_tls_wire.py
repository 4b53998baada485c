"""Our TLS (`_tls_layer` inside `Exchange`) over real sockets on 127.0.0.1, against servers that
send what asyncio's TLS server never does on its own: records cut into pieces on the wire,
session tickets glued to the first answer, a close_notify on a connection left open (idle, or
ending an answer), a handshake of several round trips; and, from ``openssl s_server``, what
Python's ssl cannot send at all: a TLS 1.3 KeyUpdate and a TLS 1.2 renegotiation, the latter
also while a request is being written (it waits for the renegotiation, then goes out once).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field

import pytest

from mesg_pusher import PusherConnectionError
from mesg_pusher.pusher import Connection, HttpPool, HttpRequest
from tests.support.processes import free_port, stop
from tests.support.tls import TestCertificates

pytestmark = pytest.mark.integration

REQUEST = HttpRequest("POST", "/apps/1/events", "auth_key=k", b'{"name":"e"}')
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
#: How long a condition the test waits on may take (it is met in milliseconds).
WAIT_SECONDS = 10.0


def connection(port: int) -> Connection:
    return Connection.create(
        host="127.0.0.1", port=port, tls=True, keep_alive=True, timeout_ms=10_000
    )


@pytest.fixture
async def pool(certificates: TestCertificates) -> AsyncIterator[HttpPool]:
    http = HttpPool(ssl_context=certificates.client_context())
    yield http
    await http.close()


class HandTls:
    """The server's end of one connection, TLS done by hand over the raw stream, so the test
    decides which bytes go out in which write."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, context: ssl.SSLContext
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_side=True)
        self.plain = bytearray()

    async def handshake(self, pieces: int = 1) -> bytes:
        """The handshake to its end, each flight written in `pieces`; the bytes due after it
        (TLS 1.3 session tickets), kept back for the test to send."""
        while True:
            try:
                self.tls.do_handshake()
            except ssl.SSLWantReadError:
                await self.write(self.outgoing.read(), pieces)
                self.incoming.write(await self.reader.read(65536))
                continue
            return self.outgoing.read()

    async def read_request(self) -> bytes:
        """One whole request (what came with the handshake's last flight counts too)."""
        while True:
            with contextlib.suppress(ssl.SSLWantReadError):
                while chunk := self.tls.read(65536):
                    self.plain += chunk
            if b"\r\n\r\n" in self.plain and self.plain.endswith(REQUEST.body):
                request, self.plain = bytes(self.plain), bytearray()
                return request
            data = await self.reader.read(65536)
            if not data:
                raise ConnectionError("the client closed the connection")
            self.incoming.write(data)

    def records(self, plaintext: bytes) -> bytes:
        self.tls.write(plaintext)
        return self.outgoing.read()

    def close_notify(self) -> bytes:
        with contextlib.suppress(ssl.SSLWantReadError):
            self.tls.unwrap()
        return self.outgoing.read()

    async def write(self, data: bytes, pieces: int = 1) -> None:
        """`data` in `pieces` writes, each on its way before the next (so that the client is
        likely to read them apart; nothing depends on it)."""
        step = max(1, -(-len(data) // pieces))
        for start in range(0, len(data), step):
            self.writer.write(data[start : start + step])
            await self.writer.drain()
            if pieces > 1:
                await asyncio.sleep(0.001)


Script = Callable[[HandTls], Awaitable[None]]


@dataclass
class HandServer:
    script: Script
    context: ssl.SSLContext
    port: int = 0
    connections: int = 0
    after: list[bytes] = field(default_factory=list)  # raw bytes each connection got at the end
    ended: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self.script(HandTls(reader, writer, self.context))
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def hand_server(
    certificates: TestCertificates,
) -> AsyncIterator[Callable[[Script], Awaitable[HandServer]]]:
    servers: list[asyncio.Server] = []

    async def start(script: Script, context: ssl.SSLContext | None = None) -> HandServer:
        hand = HandServer(script, context or certificates.server_context())
        server = await asyncio.start_server(hand.handle, "127.0.0.1", 0)
        servers.append(server)
        hand.port = server.sockets[0].getsockname()[1]
        return hand

    yield start
    for server in servers:
        server.close()


async def test_records_cut_into_pieces_on_the_wire(
    pool: HttpPool, hand_server: Callable[[Script], Awaitable[HandServer]]
) -> None:
    async def script(peer: HandTls) -> None:
        tickets = await peer.handshake(pieces=40)
        await peer.read_request()
        await peer.write(tickets + peer.records(ANSWER), pieces=30)
        await peer.read_request()
        await peer.write(peer.records(ANSWER), pieces=30)
        await peer.reader.read()

    server = await hand_server(script)
    for _ in range(2):
        assert await pool.send(connection(server.port), REQUEST) == (200, b"{}")
    assert server.connections == 1


async def test_session_tickets_in_the_same_write_as_the_first_answer(
    pool: HttpPool, hand_server: Callable[[Script], Awaitable[HandServer]]
) -> None:
    async def script(peer: HandTls) -> None:
        tickets = await peer.handshake()
        assert tickets  # TLS 1.3: the server has tickets to send once the handshake is done
        while True:
            await peer.read_request()
            await peer.write(tickets + peer.records(ANSWER))
            tickets = b""

    server = await hand_server(script)
    for _ in range(3):
        assert await pool.send(connection(server.port), REQUEST) == (200, b"{}")
    assert server.connections == 1


async def test_a_close_notify_on_an_idle_connection_left_open_is_never_written_on(
    pool: HttpPool, hand_server: Callable[[Script], Awaitable[HandServer]]
) -> None:
    goodbye = asyncio.Event()

    async def script(peer: HandTls) -> None:
        await peer.write(await peer.handshake())
        await peer.read_request()
        await peer.write(peer.records(ANSWER))
        if server.connections == 1:
            await peer.write(peer.close_notify())  # the TCP connection stays open
            goodbye.set()
            server.after.append(await peer.reader.read())  # what the client sends after it
            server.ended.set()
        else:
            await peer.reader.read()

    server = await hand_server(script)
    assert await pool.send(connection(server.port), REQUEST) == (200, b"{}")
    await asyncio.wait_for(goodbye.wait(), WAIT_SECONDS)
    # Taken by the loop already, or still in the socket: either way not used.
    assert await pool.send(connection(server.port), REQUEST) == (200, b"{}")
    assert server.connections == 2
    await asyncio.wait_for(server.ended.wait(), WAIT_SECONDS)
    assert server.after == [b""]  # the first connection was closed, not written on


async def test_a_close_notify_ends_an_answer_framed_by_the_end_of_the_connection(
    pool: HttpPool, hand_server: Callable[[Script], Awaitable[HandServer]]
) -> None:
    async def script(peer: HandTls) -> None:
        await peer.write(await peer.handshake())
        await peer.read_request()
        answer = b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{"read":"to the end"}'
        await peer.write(peer.records(answer) + peer.close_notify())
        await peer.reader.read()  # the TCP connection is left for the client to close

    server = await hand_server(script)
    answer = await pool.send(connection(server.port), REQUEST)
    assert answer == (200, b'{"read":"to the end"}')
    assert pool.open_connections == 0


async def test_a_close_notify_with_the_answer_keeps_the_answer_and_drops_the_connection(
    pool: HttpPool, hand_server: Callable[[Script], Awaitable[HandServer]]
) -> None:
    async def script(peer: HandTls) -> None:
        await peer.write(await peer.handshake())
        await peer.read_request()
        await peer.write(peer.records(ANSWER) + peer.close_notify())
        await peer.reader.read()

    server = await hand_server(script)
    for _ in range(2):
        assert await pool.send(connection(server.port), REQUEST) == (200, b"{}")
    assert server.connections == 2


@pytest.mark.parametrize("rounds", ["tls-1.2", "hello-retry"])
async def test_a_handshake_of_several_round_trips(
    certificates: TestCertificates,
    pool: HttpPool,
    hand_server: Callable[..., Awaitable[HandServer]],
    rounds: str,
) -> None:
    context = certificates.server_context()
    if rounds == "tls-1.2":
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    else:  # a key share the client does not send first: the server asks for another
        context.set_ecdh_curve("prime256v1")
    flights = []

    async def script(peer: HandTls) -> None:
        await peer.write(await peer.handshake(pieces=5))
        flights.append(peer.tls.version())
        await peer.read_request()
        await peer.write(peer.records(ANSWER))
        await peer.reader.read()

    server = await hand_server(script, context)
    assert await pool.send(connection(server.port), REQUEST) == (200, b"{}")
    assert flights == ["TLSv1.2" if rounds == "tls-1.2" else "TLSv1.3"]


async def test_garbage_after_the_handshake_fails_the_request_as_sent(
    pool: HttpPool, hand_server: Callable[[Script], Awaitable[HandServer]]
) -> None:
    async def script(peer: HandTls) -> None:
        await peer.write(await peer.handshake())
        await peer.read_request()
        records = bytearray(peer.records(ANSWER))
        records[-1] ^= 1  # altered on the way
        await peer.write(bytes(records))
        await peer.reader.read()

    server = await hand_server(script)
    with pytest.raises(PusherConnectionError) as caught:
        await pool.send(connection(server.port), REQUEST)
    assert caught.value.detail == "TLS failed: DECRYPTION_FAILED_OR_BAD_RECORD_MAC"
    assert caught.value.sent is True
    assert pool.open_connections == 0


# openssl s_server: a KeyUpdate and a renegotiation -------------------------------------------


@dataclass
class OpenSslServer:
    """``openssl s_server`` for raw TLS: what a client sends comes out on its standard output
    (with its own notes and, with ``-msg``, every TLS message); what the test writes to its
    standard input goes to the client, except a line of one letter, a command (``K``: a
    KeyUpdate asking for one back; ``r``: a TLS 1.2 renegotiation)."""

    process: subprocess.Popen[bytes]
    port: int
    output: bytearray = field(default_factory=bytearray)

    def __post_init__(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        while chunk := os.read(self.process.stdout.fileno(), 65536):
            self.output += chunk

    def say(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    async def seen(self, text: bytes, times: int = 1) -> None:
        """Wait until `text` has come out `times` times."""
        deadline = time.monotonic() + WAIT_SECONDS
        while bytes(self.output).count(text) < times:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError(f"s_server did not print {text!r}: {bytes(self.output)!r}")
            await asyncio.sleep(0.01)


@pytest.fixture
def s_server(
    certificates: TestCertificates,
) -> Iterator[Callable[[str], Awaitable[OpenSslServer]]]:
    binary, stdbuf = shutil.which("openssl"), shutil.which("stdbuf")
    if binary is None or stdbuf is None:
        pytest.skip("needs the openssl command (scripts/install-test-deps) and stdbuf")
    started: list[OpenSslServer] = []

    async def start(version: str) -> OpenSslServer:
        for attempt in range(3):  # a port found free may be taken before s_server binds it
            port = free_port()
            # Its notes go through C's stdio, kept in a buffer when written to a pipe: unbuffered.
            argv = [stdbuf, "-o0", binary, "s_server", "-accept", f"127.0.0.1:{port}", "-msg"]
            argv.append(version)
            argv += ["-cert", str(certificates.cert_file), "-key", str(certificates.key_file)]
            server = OpenSslServer(_spawn(argv), port)
            started.append(server)
            try:
                await server.seen(b"ACCEPT")  # listening (a probe connection would be served)
            except AssertionError:
                if server.process.poll() is None or attempt == 2:
                    raise
                continue  # it exited: the port was taken
            return server
        raise AssertionError("unreachable")

    yield start
    for server in started:
        stop(server.process)


def _spawn(argv: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)


#: What s_server prints for each connection it accepts, and for each request it reads.
ACCEPTED = b"CIPHER is"
POSTED = b"POST /apps/1/events"


async def test_a_key_update_before_an_answer(
    pool: HttpPool, s_server: Callable[[str], Awaitable[OpenSslServer]]
) -> None:
    server = await s_server("-tls1_3")
    first = asyncio.create_task(pool.send(connection(server.port), REQUEST))
    await server.seen(POSTED)
    server.say(b"K\n")  # the server's keys change; it asks the client to change its own
    await server.seen(b"SSL_do_handshake -> 1")
    server.say(ANSWER)
    assert await first == (200, b"{}")
    second = asyncio.create_task(pool.send(connection(server.port), REQUEST))
    await server.seen(POSTED, 2)  # read with the client's new keys
    server.say(ANSWER)
    assert await second == (200, b"{}")
    assert server.output.count(b"KeyUpdate") == 2  # the server's, and the client's in return
    assert server.output.count(ACCEPTED) == 1


async def test_a_renegotiation_before_an_answer(
    pool: HttpPool, s_server: Callable[[str], Awaitable[OpenSslServer]]
) -> None:
    server = await s_server("-tls1_2")
    first = asyncio.create_task(pool.send(connection(server.port), REQUEST))
    await server.seen(POSTED)
    server.say(b"r\n")
    await server.seen(b"SSL_do_handshake -> 1")
    server.say(ANSWER)
    assert await first == (200, b"{}")
    assert server.output.count(b"ClientHello") == 2  # the renegotiation took place
    second = asyncio.create_task(pool.send(connection(server.port), REQUEST))
    await server.seen(POSTED, 2)
    server.say(ANSWER)
    assert await second == (200, b"{}")
    assert server.output.count(ACCEPTED) == 1


class Relay:
    """TCP between the client and s_server on 127.0.0.1; what the server sends can be held
    after its next write (`hold_after_next`) until `release`."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.port = 0
        self.client_spoke = asyncio.Event()  # the client sent bytes since the hold began
        self._hold_next = False
        self._open = asyncio.Event()
        self._open.set()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def hold_after_next(self) -> None:
        self._hold_next = True
        self.client_spoke.clear()

    def release(self) -> None:
        self._open.set()

    def close(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        to_reader, to_writer = await asyncio.open_connection("127.0.0.1", self.target)

        async def client_to_server() -> None:
            while data := await reader.read(65536):
                self.client_spoke.set()
                to_writer.write(data)
            to_writer.close()

        async def server_to_client() -> None:
            while data := await to_reader.read(65536):
                await self._open.wait()
                writer.write(data)
                if self._hold_next:
                    self._hold_next = False
                    self._open.clear()
            writer.close()

        await asyncio.gather(client_to_server(), server_to_client(), return_exceptions=True)


async def test_a_request_written_during_a_renegotiation_goes_out_once_it_is_done(
    pool: HttpPool, s_server: Callable[[str], Awaitable[OpenSslServer]]
) -> None:
    server = await s_server("-tls1_2")
    relay = Relay(server.port)
    await relay.start()
    try:
        first = asyncio.create_task(pool.send(connection(relay.port), REQUEST))
        await server.seen(POSTED)
        server.say(ANSWER)
        assert await first == (200, b"{}")
        relay.hold_after_next()  # the HelloRequest reaches the client, the rest waits
        server.say(b"r\n")
        await asyncio.wait_for(relay.client_spoke.wait(), WAIT_SECONDS)
        # The client answered with its ClientHello and waits for the server's: a request now
        # cannot be encrypted until the renegotiation is done.
        second = asyncio.create_task(pool.send(connection(relay.port), REQUEST))
        await asyncio.sleep(0)
        relay.release()
        await server.seen(POSTED, 2)
        server.say(ANSWER)
        assert await second == (200, b"{}")
    finally:
        relay.close()
    assert bytes(server.output).count(POSTED) == 2  # written once
    assert server.output.count(ACCEPTED) == 1
