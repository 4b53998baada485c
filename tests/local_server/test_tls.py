"""TLS: ``mesg-pusher local-server --tls`` serves https:// and wss:// with a certificate made at
start, and prints where its CA is; pusher-js under Node.js connects over wss:// trusting that CA
(``NODE_EXTRA_CA_CERTS``), as do the project's subscriber and an HTTPS client, while a client
that does not trust it is refused. ``--cert``/``--key`` serve the operator's own certificate."""

from __future__ import annotations

import asyncio
import signal
import ssl
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from mesg_pusher._json import dumps
from mesg_pusher.local_server import Subscriber
from mesg_pusher.local_server._terminal import STOP_LINE
from mesg_pusher.local_server._tls import make_certificate, server_names

from .conftest import APP, NodeProcess, local_server_process, node_package, signed_target

pytestmark = pytest.mark.integration

SPEC = f"{APP.app_id}:{APP.key}:{APP.secret}"
CA_LINE = "TLS CA certificate: "


class Running:
    def __init__(self, process: asyncio.subprocess.Process, lines: list[str]) -> None:
        self.process = process
        self.lines = lines
        first = lines[0].removeprefix("Local Pusher server listening on ")
        self.url = first
        self.port = int(first.rsplit(":", 1)[1])
        ca = [line.removeprefix(CA_LINE) for line in lines if line.startswith(CA_LINE)]
        self.ca_file = Path(ca[0].split(" (")[0]) if ca else None


@asynccontextmanager
async def local_server(*args: str) -> AsyncIterator[Running]:
    process = await local_server_process(*args)
    assert process.stdout is not None
    lines: list[str] = []
    try:
        while STOP_LINE not in lines:
            raw = await asyncio.wait_for(process.stdout.readline(), 30)
            if not raw:
                err = await process.stderr.read() if process.stderr else b""
                pytest.fail(f"local-server exited early: {lines} {err.decode()}")
            lines.append(raw.decode().rstrip("\n"))
        yield Running(process, lines)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.communicate(), 30)


def trusting(ca_file: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_file))


async def publish(url: str, context: ssl.SSLContext, channel: str, name: str) -> int:
    body = dumps({"name": name, "channel": channel, "data": '{"over":"tls"}'}).encode()
    target = signed_target(APP, "POST", f"/apps/{APP.app_id}/events", body)
    headers = {"Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as http,
        http.post(url + target, data=body, headers=headers) as answer,
    ):
        return answer.status


async def test_pusher_js_connects_over_wss_with_the_printed_ca() -> None:
    node_package("pusher-js")
    async with local_server("--tls", "--app", SPEC) as server:
        assert server.url.startswith("https://127.0.0.1:")
        assert server.ca_file is not None
        assert server.ca_file.is_file()
        assert f"  PUSHER_URL=https://{APP.key}:SECRET@127.0.0.1:{server.port}/apps/42" in (
            server.lines
        )
        assert any("wssPort:" in line and "forceTLS: true" in line for line in server.lines)
        config = {
            "host": "127.0.0.1",
            "port": server.port,
            "key": APP.key,
            "tls": True,
            "channels": ["secure-news"],
        }
        env = {"NODE_EXTRA_CA_CERTS": str(server.ca_file)}
        subscriber = await NodeProcess.start("subscriber.js", config, env=env)
        try:
            await subscriber.expect("connected", within=30)
            await subscriber.expect("subscribed")
            assert (
                await publish(server.url, trusting(server.ca_file), "secure-news", "hello") == 200
            )
            event = await subscriber.expect("event")
            assert (event["event"], event["data"]) == ("hello", {"over": "tls"})
        finally:
            await subscriber.stop()
        ca_file = server.ca_file
    assert not ca_file.exists()  # made for one run: removed when the server stops


async def test_python_clients_trust_the_ca_and_others_are_refused() -> None:
    async with local_server("--tls", "--app", SPEC) as server:
        assert server.ca_file is not None
        context = trusting(server.ca_file)
        async with await Subscriber.connect(
            server.url, APP.key, ssl_context=context
        ) as sub:  # https:// becomes wss://
            await sub.subscribe("news")
            assert await publish(server.url, context, "news", "e") == 200
            assert (await sub.next_event()).json() == {"over": "tls"}
        async with aiohttp.ClientSession() as untrusting:
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await untrusting.get(server.url + "/")
        # The debug console over https: its page, and its feed from its own https origin only.
        origin = f"https://127.0.0.1:{server.port}"
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as http:
            async with http.get(server.url + "/") as page:
                assert page.status == 200
            feed = await http.ws_connect(server.url + "/debug/feed", origin=origin)
            assert (await feed.receive_json(timeout=10))["type"] == "hello"
            await feed.close()
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(
                    server.url + "/debug/feed", origin=f"http://127.0.0.1:{server.port}"
                )
            assert refused.value.status == 403


async def test_the_operators_own_certificate(tmp_path: Path) -> None:
    made = make_certificate(server_names("127.0.0.1"))
    cert, key, ca = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    cert.write_bytes(made.cert_pem)
    key.write_bytes(made.key_pem)
    ca.write_bytes(made.ca_pem)
    async with local_server("--cert", str(cert), "--key", str(key), "--app", SPEC) as server:
        assert server.ca_file is None  # nothing was made: the operator knows their CA
        assert await publish(server.url, trusting(ca), "news", "e") == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tls", "--cert", "c.pem", "--key", "k.pem"], "--tls makes its own certificate"),
        (["--cert", "c.pem"], "--cert and --key go together"),
        (["--cert", "/nonexistent/c.pem", "--key", "/nonexistent/k.pem"], "--cert: /nonexistent"),
    ],
)
async def test_tls_options_that_cannot_be_used(args: Sequence[str], message: str) -> None:
    process = await local_server_process(*args)
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert err.decode().startswith(f"mesg-pusher local-server: error: {message}"), err


def test_a_made_certificate_names_loopback_and_the_listening_address() -> None:
    assert server_names("0.0.0.0", ["devbox.lan"]) == [
        "localhost",
        "127.0.0.1",
        "::1",
        "devbox.lan",
    ]
    assert server_names("[fd00::5]") == ["localhost", "127.0.0.1", "::1", "fd00::5"]
    started = time.monotonic()
    made = make_certificate(["localhost", "127.0.0.1"])
    assert made.ca_pem.startswith(b"-----BEGIN CERTIFICATE-----")
    assert b"PRIVATE KEY" in made.key_pem
    assert time.monotonic() - started < 30
