"""The one transport against real counterparts on 127.0.0.1: nginx over TLS (a test CA made for
the run), tinyproxy forwarding plain HTTP and tunnelling TLS with Basic auth, and the faults a
client meets there: a handshake refused, a certificate refused, a proxy that refuses the tunnel
or closes it, a server that closes an idle TLS connection. Each failure says whether the request
may have reached the server (`sent`) and never shows the proxy's password."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import select
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from mesg_pusher import PusherConnectionError, PusherHTTPError
from mesg_pusher.pusher import HttpPool, PusherClient
from tests.support.nginx import Nginx, nginx_path, start_nginx
from tests.support.processes import free_port
from tests.support.tinyproxy import Tinyproxy, start_tinyproxy
from tests.support.tls import TestCertificates, make_certificates

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(nginx_path() is None, reason="needs nginx"),
]

PASSWORD = "pr0xy-pa55"


@pytest.fixture(scope="module")
def nginx(
    tmp_path_factory: pytest.TempPathFactory, certificates: TestCertificates
) -> Iterator[Nginx]:
    server = start_nginx(tmp_path_factory.mktemp("nginx"), certificates)
    yield server
    server.stop()


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[Tinyproxy]:
    server = start_tinyproxy(tmp_path, basic_auth=("alice", PASSWORD))
    yield server
    server.stop()


@pytest.fixture
async def pool(certificates: TestCertificates) -> AsyncIterator[HttpPool]:
    http = HttpPool(ssl_context=certificates.client_context())
    yield http
    await http.close()


def client(port: int, transport: HttpPool, app_id: str = "1", **settings: object) -> PusherClient:
    return PusherClient(
        app_id=app_id,
        key="app-key",
        secret="app-secret-0123456789",
        host="127.0.0.1",
        port=port,
        timeout_ms=5000,
        transport=transport,
        **settings,  # type: ignore[arg-type]
    )


async def test_tls_to_nginx_reuses_one_verified_connection(nginx: Nginx, pool: HttpPool) -> None:
    pusher = client(nginx.tls_port, pool, "11")
    for _ in range(5):
        assert await pusher.trigger("my-channel", "my-event", {"n": 1}) == {}
    served = nginx.requests_of("11", 5)
    assert len(served) == 5
    assert len({number for number, _ in served}) == 1
    assert all(line.startswith("POST /apps/11/events?auth_key=app-key&") for _, line in served)


async def test_the_client_is_tls_by_default_and_trusts_ssl_cert_file(
    nginx: Nginx, certificates: TestCertificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A private CA without a line of code: OpenSSL reads SSL_CERT_FILE for the default context.
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.ca_file))
    async with PusherClient(
        app_id="1", key="app-key", secret="app-secret-0123456789", host="127.0.0.1",
        port=nginx.tls_port,
    ) as pusher:  # fmt: skip
        assert pusher.connection.scheme == "https"
        assert await pusher.trigger("my-channel", "my-event", "x") == {}


async def test_a_certificate_from_another_ca_is_refused_and_said_so(
    nginx: Nginx, tmp_path: Path
) -> None:
    stranger = make_certificates(tmp_path / "other")  # trusted by nobody here
    http = HttpPool(ssl_context=stranger.client_context())
    try:
        with pytest.raises(PusherConnectionError) as caught:
            await client(nginx.tls_port, http).trigger("c", "e", "x")
    finally:
        await http.close()
    assert str(caught.value) == (
        f"request to https://127.0.0.1:{nginx.tls_port}/apps/1/events failed: the server's TLS "
        "certificate was refused: unable to get local issuer certificate"
    )
    assert caught.value.sent is False


async def test_a_certificate_for_another_name_is_refused(
    tmp_path: Path, certificates: TestCertificates
) -> None:
    wrong = make_certificates(tmp_path / "wrong", "pusher.example")
    server = start_nginx(tmp_path / "nginx", wrong)
    http = HttpPool(ssl_context=wrong.client_context())
    try:
        with pytest.raises(PusherConnectionError) as caught:
            await client(server.tls_port, http).trigger("c", "e", "x")
    finally:
        await http.close()
        server.stop()
    assert "the server's TLS certificate was refused: IP address mismatch" in str(caught.value)
    assert caught.value.sent is False
    assert server.requests() == []


async def test_a_handshake_the_server_refuses_is_reported_unsent(
    tmp_path: Path, certificates: TestCertificates
) -> None:
    server = start_nginx(tmp_path / "nginx", certificates, protocols="TLSv1.2")
    context = certificates.client_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_3  # the server offers 1.2 only
    http = HttpPool(ssl_context=context)
    try:
        with pytest.raises(PusherConnectionError) as caught:
            await client(server.tls_port, http).trigger("c", "e", "x")
    finally:
        await http.close()
        server.stop()
    assert "failed: TLS failed: TLSV1_ALERT_PROTOCOL_VERSION" in str(caught.value)
    assert caught.value.sent is False


async def test_tls_to_a_port_that_speaks_plain_http_is_refused(
    nginx: Nginx, pool: HttpPool
) -> None:
    with pytest.raises(PusherConnectionError) as caught:
        await client(nginx.port, pool).trigger("c", "e", "x")
    assert "failed: TLS failed: " in str(caught.value)
    assert "does not speak TLS on that port" in str(caught.value)
    assert caught.value.sent is False


def _input_waiting(pool: HttpPool) -> bool:
    """Whether the pool's one idle connection has its end-of-stream (or TLS alert) waiting."""
    [[exchange]] = pool._idle.values()
    assert exchange.transport is not None
    fd = exchange.transport.get_extra_info("socket").fileno()
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


async def test_an_idle_tls_connection_nginx_closed_is_replaced_before_writing(
    tmp_path: Path, certificates: TestCertificates, pool: HttpPool
) -> None:
    server = start_nginx(tmp_path / "nginx", certificates, keepalive="1s")
    try:
        pusher = client(server.tls_port, pool)
        assert await pusher.trigger("c", "e", "x") == {}
        # Waits, blocking the loop so that it reads nothing, until nginx's close is in the
        # socket: the moment the idle connection looks alive to the loop and is dead.
        for _ in range(400):
            if _input_waiting(pool):
                break
            select.select([], [], [], 0.05)
        assert _input_waiting(pool)
        assert await pusher.trigger("c", "e", "x") == {}
        numbers = [number for number, _ in server.requests_of("1", 2)]
    finally:
        server.stop()
    assert len(numbers) == 2
    assert numbers[0] != numbers[1]


async def _then_one_connection_per_request(pool: HttpPool, pusher: PusherClient) -> None:
    """After a first trigger through tinyproxy, two more, each on a connection of its own.

    tinyproxy closes each client connection after its answer without saying so. The close can
    come just after the next request is written (which then fails, maybe sent), so this waits
    for it: found, it marks the proxy as one that closes, and the next requests each open their
    own connection and close it."""
    for _ in range(400):
        if not pool._idle or _input_waiting(pool):
            break
        select.select([], [], [], 0.05)
    for _ in range(2):
        assert await pusher.trigger("c", "e", "x") == {}
        assert pool.open_connections == 0


async def test_plain_http_through_the_proxy_with_basic_auth(
    nginx: Nginx, proxy: Tinyproxy, pool: HttpPool
) -> None:
    pusher = client(nginx.port, pool, "12", tls=False, proxy=proxy.url(f"alice:{PASSWORD}"))
    assert await pusher.trigger("c", "e", "x") == {}
    await _then_one_connection_per_request(pool, pusher)
    assert len(nginx.requests_of("12", 3)) == 3
    assert f"127.0.0.1:{nginx.port}" in proxy.log()


async def test_tls_tunnelled_through_the_proxy_with_basic_auth(
    nginx: Nginx, proxy: Tinyproxy, pool: HttpPool
) -> None:
    pusher = client(nginx.tls_port, pool, "13", proxy=proxy.url(f"alice:{PASSWORD}"))
    for _ in range(3):
        assert await pusher.trigger("c", "e", "x") == {}
    served = nginx.requests_of("13", 3)
    assert len(served) == 3
    assert len({number for number, _ in served}) == 1  # one tunnel, kept alive
    assert "CONNECT" in proxy.log()


async def test_a_tunnel_refused_by_the_proxy_was_not_sent(
    nginx: Nginx, proxy: Tinyproxy, pool: HttpPool
) -> None:
    pusher = client(nginx.tls_port, pool, "14", proxy=proxy.url("alice:wrong-pa55"))
    with pytest.raises(PusherConnectionError) as caught:
        await pusher.trigger("c", "e", "x")
    assert str(caught.value) == (
        f"request to https://127.0.0.1:{nginx.tls_port}/apps/14/events failed: the proxy "
        f"http://alice:***@127.0.0.1:{proxy.port} answered 401 Unauthorized"
    )
    assert caught.value.sent is False
    assert nginx.requests_of("14", 0) == []


@pytest.fixture
async def scripted_proxy() -> AsyncIterator[tuple[int, list[bytes], asyncio.Event]]:
    """A proxy that answers CONNECT with 407 (showing the credentials it got) or, once told
    (the event), closes without answering; what it read, head by head."""
    heads: list[bytes] = []
    close = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        heads.append(await reader.readuntil(b"\r\n\r\n"))
        if not close.is_set():
            shown = b"".join(line for line in heads[-1].split(b"\r\n") if b"Authorization" in line)
            page = b"<html><body>407: you sent " + shown + b"</body></html>"
            writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n")
            writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(page), page))
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1], heads, close
    server.close()


async def test_a_proxy_answering_407_to_connect_is_reported_unsent_without_its_page(
    scripted_proxy: tuple[int, list[bytes], asyncio.Event], pool: HttpPool
) -> None:
    port, heads, _ = scripted_proxy
    target = free_port()
    pusher = client(target, pool, proxy=f"http://alice:{PASSWORD}@127.0.0.1:{port}")
    with pytest.raises(PusherConnectionError) as caught:
        await pusher.trigger("c", "e", "x")
    token = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    assert heads == [
        f"CONNECT 127.0.0.1:{target} HTTP/1.1\r\nHost: 127.0.0.1:{target}\r\n"
        f"Proxy-Authorization: Basic {token}\r\n\r\n".encode()
    ]
    assert str(caught.value) == (
        f"request to https://127.0.0.1:{target}/apps/1/events failed: the proxy "
        f"http://alice:***@127.0.0.1:{port} answered 407 Proxy Authentication Required"
    )
    assert caught.value.sent is False
    assert PASSWORD not in str(caught.value)
    assert token[:8] not in str(caught.value)


async def test_a_proxy_closing_during_connect_is_reported_unsent(
    scripted_proxy: tuple[int, list[bytes], asyncio.Event], pool: HttpPool
) -> None:
    port, heads, close = scripted_proxy
    close.set()
    pusher = client(free_port(), pool, proxy=f"http://alice:{PASSWORD}@127.0.0.1:{port}")
    with pytest.raises(PusherConnectionError) as caught:
        await pusher.trigger("c", "e", "x")
    assert str(caught.value).endswith(
        f"failed: the proxy http://alice:***@127.0.0.1:{port} closed the connection without "
        "answering"
    )
    assert caught.value.sent is False
    assert len(heads) == 1


async def test_a_plain_proxy_that_refuses_answers_as_itself(
    nginx: Nginx, proxy: Tinyproxy, pool: HttpPool
) -> None:
    # Through a plain-HTTP proxy the request itself went to the proxy: its refusal is an answer
    # that may be the proxy's or Pusher's (tinyproxy answers 401 and resets the connection).
    pusher = client(nginx.port, pool, tls=False, proxy=proxy.url("alice:wrong-pa55"))
    with pytest.raises(PusherHTTPError) as caught:
        await pusher.trigger("c", "e", "x")
    assert caught.value.status == 401
    assert caught.value.via == f"http://alice:***@127.0.0.1:{proxy.port}"
    assert b"Unauthorized" in caught.value.body
    assert "wrong-pa55" not in str(caught.value)


@pytest.fixture
async def tls_proxy(
    proxy: Tinyproxy, certificates: TestCertificates
) -> AsyncIterator[tuple[int, list[int]]]:
    """An ``https://`` proxy: TLS ended on 127.0.0.1 (the test CA's certificate), what it
    carries handed to tinyproxy; its port, and a count of the TLS connections it took."""
    accepted: list[int] = []

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", proxy.port)

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, ssl.SSLError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(relay, "127.0.0.1", 0, ssl=certificates.server_context())
    yield server.sockets[0].getsockname()[1], accepted
    server.close()


@pytest.mark.parametrize("tls", [True, False])
async def test_through_an_https_proxy_tls_within_tls_or_plain_within_tls(
    nginx: Nginx, proxy: Tinyproxy, tls_proxy: tuple[int, list[int]], pool: HttpPool, tls: bool
) -> None:
    port, accepted = tls_proxy
    app_id = "16" if tls else "17"
    pusher = client(
        nginx.tls_port if tls else nginx.port,
        pool,
        app_id,
        tls=tls,
        proxy=f"https://alice:{PASSWORD}@127.0.0.1:{port}",
    )
    if tls:
        for _ in range(3):
            assert await pusher.trigger("c", "e", "x") == {}
    else:  # tinyproxy closes after each plain request it forwards, and so does the relay
        assert await pusher.trigger("c", "e", "x") == {}
        await _then_one_connection_per_request(pool, pusher)
    served = nginx.requests_of(app_id, 3)
    assert len(served) == 3
    if tls:  # one tunnel, kept alive
        assert accepted == [1]
        assert len({number for number, _ in served}) == 1
    # The request line tinyproxy read: a tunnel, or the request itself in absolute form.
    if tls:
        assert f"): CONNECT 127.0.0.1:{nginx.tls_port} HTTP/1.1" in proxy.log()
    else:
        assert f"): POST http://127.0.0.1:{nginx.port}/apps/{app_id}/events?" in proxy.log()


async def test_an_https_proxy_with_a_certificate_from_another_ca_is_refused(
    tmp_path: Path, nginx: Nginx, certificates: TestCertificates
) -> None:
    other = make_certificates(tmp_path / "other")
    server = await asyncio.start_server(
        lambda r, w: w.close(), "127.0.0.1", 0, ssl=other.server_context()
    )
    port = server.sockets[0].getsockname()[1]
    http = HttpPool(ssl_context=certificates.client_context())
    try:
        pusher = client(nginx.tls_port, http, proxy=f"https://alice:{PASSWORD}@127.0.0.1:{port}")
        with pytest.raises(PusherConnectionError) as caught:
            await pusher.trigger("c", "e", "x")
    finally:
        await http.close()
        server.close()
    assert caught.value.detail == (
        f"the proxy https://alice:***@127.0.0.1:{port}'s TLS certificate was refused: "
        "unable to get local issuer certificate"
    )
    assert caught.value.sent is False


@pytest.mark.parametrize(
    ("credentials", "secret", "shown"),
    [
        (f"alice:{PASSWORD}", PASSWORD, "alice:***"),
        ("APIKEY-0123456789:", "APIKEY-0123456789", "***:"),  # a user name that is the key
    ],
    ids=["password", "api-key"],
)
async def test_a_plain_proxy_echoing_the_request_never_shows_its_credentials(
    pool: HttpPool, credentials: str, secret: str, shown: str
) -> None:
    # Through a plain-HTTP proxy its own refusal is the answer: one that quotes the request
    # (its Proxy-Authorization header) and the credentials decoded.
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        token = next(
            line.split(b" ")[-1] for line in head.split(b"\r\n") if b"Authorization" in line
        )
        page = b"denied: " + head + b" that is " + base64.b64decode(token)
        writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n")
        writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(page), page))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        pusher = client(
            free_port(), pool, tls=False, proxy=f"http://{credentials}@127.0.0.1:{port}"
        )
        with pytest.raises(PusherHTTPError) as caught:
            await pusher.trigger("c", "e", "x")
    finally:
        server.close()
    error = caught.value
    assert error.status == 407
    assert error.via == f"http://{shown}@127.0.0.1:{port}"
    assert str(error).startswith(
        f"the proxy http://{shown}@127.0.0.1:{port}, or Pusher behind it, answered 407 Proxy "
        "Authentication Required: denied: "
    )
    assert "Proxy-Authorization: Basic ***" in str(error)
    token = base64.b64encode(credentials.encode()).decode()
    for text in (str(error), repr(error), error.message, error.body.decode()):
        assert secret not in text
        assert token not in text
