"""``mesg-pusher subscribe`` as a user runs it against a running local server: public, private,
presence and encrypted channels authorized with the URL's secret, every event printed (encrypted
ones opened with the master key), a clean exit on SIGINT, exit 1 when the server refuses or
closes, exit 2 for what it cannot use, and the secret never printed."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp import web

from mesg_pusher.local_server import LocalServer, ServerSettings
from mesg_pusher.local_server._subscribe_command import websocket_host
from mesg_pusher.pusher import MasterKey, encrypt
from tests.support.tls import TestCertificates

from .conftest import APP, api

pytestmark = pytest.mark.integration

MASTER_KEY = base64.b64encode(bytes(range(32))).decode()
CHANNELS = ("news", "private-notes", "presence-room", "private-encrypted-vault")


def pusher_url(server: LocalServer, secret: str = APP.secret) -> str:
    return f"http://{APP.key}:{secret}@127.0.0.1:{server.port}/apps/{APP.app_id}"


class Watching:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.status: list[str] = []
        self.printed: list[str] = []

    async def status_line(self, fragment: str, within: float = 20.0) -> None:
        assert self.process.stderr is not None
        deadline = time.monotonic() + within
        while not any(fragment in line for line in self.status):
            raw = await asyncio.wait_for(
                self.process.stderr.readline(), max(deadline - time.monotonic(), 0.01)
            )
            if not raw:
                pytest.fail(f"subscribe ended before {fragment!r}: {self.status}")
            self.status.append(raw.decode().rstrip("\n"))

    async def event(self, within: float = 20.0) -> dict[str, object]:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), within)
        assert raw, self.status
        line = raw.decode().rstrip("\n")
        self.printed.append(line)
        parsed: dict[str, object] = json.loads(line)
        return parsed

    async def finish(self, within: float = 30.0) -> int:
        out, err = await asyncio.wait_for(self.process.communicate(), within)
        self.printed.extend(out.decode().splitlines())
        self.status.extend(err.decode().splitlines())
        assert self.process.returncode is not None
        return self.process.returncode


@asynccontextmanager
async def subscribe(*args: str, env: dict[str, str] | None = None) -> AsyncIterator[Watching]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mesg_pusher.cli",
        "subscribe",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    try:
        yield Watching(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_every_kind_of_channel_and_a_clean_stop(http: aiohttp.ClientSession) -> None:
    async with (
        LocalServer(ServerSettings(apps=(APP,))) as server,
        subscribe(
            "--url",
            pusher_url(server),
            "--json",
            "--user-id",
            "ada",
            "--user-info",
            '{"name":"Ada"}',
            *CHANNELS,
            env={"PUSHER_ENCRYPTION_MASTER_KEY_BASE64": MASTER_KEY},
        ) as watching,
    ):
        await watching.status_line("subscribed to private-encrypted-vault")
        members = server.broker.state(APP).presence("presence-room")
        assert members["hash"] == {"ada": {"name": "Ada"}}
        for channel in CHANNELS[:3]:
            event = {"name": "hello", "channel": channel, "data": f'{{"on":"{channel}"}}'}
            assert (await api(http, server, "POST", "/apps/42/events", event))[0] == 200
        sealed = encrypt(
            '{"secret":"plans"}',
            "private-encrypted-vault",
            MasterKey.from_base64(MASTER_KEY),
            nonce=bytes(24),
        )
        event = {"name": "vault", "channel": "private-encrypted-vault", "data": sealed}
        assert (await api(http, server, "POST", "/apps/42/events", event))[0] == 200
        received = [await watching.event() for _ in range(4)]
        watching.process.send_signal(signal.SIGINT)
        assert await watching.finish() == 0
    assert received[:3] == [
        {"channel": channel, "event": "hello", "data": f'{{"on":"{channel}"}}'}
        for channel in CHANNELS[:3]
    ]
    assert received[3] == {
        "channel": "private-encrypted-vault",
        "event": "vault",
        "data": '{"secret":"plans"}',
        "decrypted": True,
    }
    assert watching.status[-1] == "mesg-pusher subscribe: stopped"
    everything = "\n".join(watching.status + watching.printed)
    assert APP.secret not in everything
    assert MASTER_KEY not in everything


async def test_plain_lines_and_the_url_from_the_environment(http: aiohttp.ClientSession) -> None:
    async with (
        LocalServer(ServerSettings(apps=(APP,))) as server,
        subscribe("presence-room", env={"PUSHER_URL": pusher_url(server)}) as watching,
    ):
        await watching.status_line("subscribed to presence-room")
        event = {"name": "hello", "channel": "presence-room", "data": "plain text"}
        assert (await api(http, server, "POST", "/apps/42/events", event))[0] == 200
        assert watching.process.stdout is not None
        line = await asyncio.wait_for(watching.process.stdout.readline(), 20)
        assert line.decode() == "presence-room  hello  plain text\n"
        watching.process.send_signal(signal.SIGTERM)
        assert await watching.finish() == 0


async def test_a_connection_the_server_ends_is_exit_1(http: aiohttp.ClientSession) -> None:
    async with (
        LocalServer(ServerSettings(apps=(APP,))) as server,
        subscribe("--url", pusher_url(server), "--signin", "--user-id", "ada", "news") as watching,
    ):
        await watching.status_line("subscribed to news")
        path = "/apps/42/users/ada/terminate_connections"
        assert (await api(http, server, "POST", path))[0] == 200
        assert await watching.finish() == 1
    assert watching.status[-1].startswith("mesg-pusher subscribe: error: "), watching.status
    assert "4009" in "\n".join(watching.status)


async def test_a_refused_subscription_is_exit_1_without_the_secret() -> None:
    async with (
        LocalServer(ServerSettings(apps=(APP,))) as server,
        subscribe("--url", pusher_url(server, "not-the-secret"), "private-notes") as watching,
    ):
        assert await watching.finish() == 1
    assert watching.status[-1].startswith(
        "mesg-pusher subscribe: error: refused: Invalid signature"
    )
    assert "not-the-secret" not in "\n".join(watching.status + watching.printed)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--url", "ftp://k:top-secret-value@h/apps/1", "c"], "--url: a Pusher URL looks like"),
        (["--url", "http://k:top-secret-value@h:1/", "c"], "--url: a Pusher URL looks like"),
        (["#server-to-user-ada"], "#server-to-user-ada: the user's own channel: give --signin"),
        (["bad channel"], 'CHANNEL: channel name "bad channel" has the forbidden character'),
        (["--user-info", "{nope", "c"], "--user-info: expected a JSON value"),
    ],
)
async def test_what_it_cannot_use_is_a_usage_error(args: Sequence[str], message: str) -> None:
    async with subscribe(*args) as watching:
        assert await watching.finish() == 2
    assert watching.status[-1].startswith(f"mesg-pusher subscribe: error: {message}"), (
        watching.status
    )
    assert "top-secret-value" not in "\n".join(watching.status)


async def test_a_server_that_is_not_a_pusher_one_is_exit_1_without_a_traceback(
    certificates: TestCertificates,
) -> None:
    async def not_found(request: web.Request) -> web.Response:
        return web.Response(status=404, text="no websockets here")

    app = web.Application()
    app.router.add_get("/{tail:.*}", not_found)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    # A TLS server given an http:// URL: it drops the plain handshake.
    tls = await asyncio.start_server(
        lambda r, w: w.close(), "127.0.0.1", 0, ssl=certificates.server_context()
    )
    try:
        port = runner.addresses[0][1]
        tls_port = tls.sockets[0].getsockname()[1]
        expected = {
            port: "the server answered HTTP 404, not a websocket",
            tls_port: "the server closed the connection (a TLS server? its URL starts with https://)",
        }
        for at, reason in expected.items():
            url = f"http://{APP.key}:top-secret-value@127.0.0.1:{at}/apps/{APP.app_id}"
            async with subscribe("--url", url, "news") as watching:
                assert await watching.finish() == 1
            assert watching.status[-1] == (
                f"mesg-pusher subscribe: error: cannot connect to ws://127.0.0.1:{at}: {reason}"
            ), watching.status
            assert "Traceback" not in "\n".join(watching.status)
            assert "top-secret-value" not in "\n".join(watching.status)
    finally:
        tls.close()
        await runner.cleanup()


@pytest.mark.parametrize(
    ("api_host", "ws_host"),
    [
        ("api-eu.pusher.com", "ws-eu.pusher.com"),
        ("api-mt1.pusher.com", "ws-mt1.pusher.com"),
        ("api.pusherapp.com", "ws.pusherapp.com"),
        ("127.0.0.1", "127.0.0.1"),
        ("soketi.example.com", "soketi.example.com"),
        ("api-eu.pusher.com.example.org", "api-eu.pusher.com.example.org"),
    ],
)
def test_pushers_own_hosts_have_a_websocket_twin(api_host: str, ws_host: str) -> None:
    assert websocket_host(api_host) == ws_host
