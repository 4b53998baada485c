"""Fixtures of the local-server tests: a server on a free loopback port, signed requests made
with the project's own signing code, and the Node.js counterparts of tests/node."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from mesg_pusher._json import dumps
from mesg_pusher.local_server import AppOptions, LocalServer, ServerSettings, Subscriber
from mesg_pusher.pusher import App, channel_auth, sign_request, user_auth

APP = App(app_id="42", key="test-key", secret="test-secret")
OTHER_APP = App(app_id="43", key="other-key", secret="other-secret")
#: The `server` fixture's APP relays client events; OTHER_APP has Pusher's defaults (all off).
CLIENT_EVENTS_ON = {APP.app_id: AppOptions(client_events=True)}
#: APP relays client events and counts subscriptions (webhooks and frames), as every app did
#: before Pusher's defaults: what the webhook tests expect.
OPTIONS = {APP.app_id: AppOptions(client_events=True, subscription_count=True)}
ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = ROOT / "tests" / "node"
ARTIFACTS = ROOT / "artifacts"


@pytest.fixture
async def server() -> AsyncIterator[LocalServer]:
    settings = ServerSettings(apps=(APP, OTHER_APP), app_options=CLIENT_EVENTS_ON)
    async with LocalServer(settings) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def signed_target(
    app: App,
    method: str,
    path: str,
    body: bytes | None = None,
    params: Mapping[str, str] | None = None,
    timestamp: int | None = None,
) -> str:
    stamp = int(time.time()) if timestamp is None else timestamp
    query = sign_request(
        key=app.key,
        secret=app.secret,
        method=method,
        path=path,
        timestamp=stamp,
        body=body,
        params=params,
    )
    return f"{path}?{query}"


async def api(
    http: aiohttp.ClientSession,
    server: LocalServer,
    method: str,
    path: str,
    payload: Any = None,
    *,
    app: App = APP,
    params: Mapping[str, str] | None = None,
) -> tuple[int, str]:
    """A request signed as `app`; the status and the body text."""
    body = None if payload is None else dumps(payload).encode()
    target = signed_target(app, method, path, body, params)
    headers = {"Content-Type": "application/json"}
    async with http.request(method, server.url + target, data=body, headers=headers) as answer:
        return answer.status, await answer.text()


# --- Node.js counterparts ------------------------------------------------------------------------


def node() -> str:
    path = shutil.which("node")
    if path is None:
        pytest.fail("Node.js is not installed: these tests need `node` (Debian nodejs, 20+)")
    return path


def node_package(name: str) -> Path:
    path = NODE_DIR / "node_modules" / name
    if not path.is_dir():
        pytest.fail(f"{path} is missing: run `npm ci` in {NODE_DIR} (scripts/install-test-deps)")
    return path


class NodeProcess:
    """A Node.js script of tests/node that prints one JSON object per line."""

    def __init__(self, process: asyncio.subprocess.Process, name: str) -> None:
        self.process = process
        self.name = name
        self.lines: list[dict[str, Any]] = []

    @classmethod
    async def start(
        cls, script: str, config: Mapping[str, Any], env: Mapping[str, str] | None = None
    ) -> NodeProcess:
        """Run `script` with `config`; `env` adds to the environment (NODE_EXTRA_CA_CERTS)."""
        process = await asyncio.create_subprocess_exec(
            node(),
            str(NODE_DIR / script),
            json.dumps(config),
            cwd=NODE_DIR,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "NODE_NO_WARNINGS": "1", **(env or {})},
        )
        return cls(process, script)

    async def next(self, within: float = 15.0) -> dict[str, Any]:
        assert self.process.stdout is not None
        try:
            line = await asyncio.wait_for(self.process.stdout.readline(), within)
        except TimeoutError:
            pytest.fail(f"{self.name} printed nothing for {within} s; seen: {self.lines}")
        if not line:
            await self.process.wait()
            stderr = await self.process.stderr.read() if self.process.stderr else b""
            pytest.fail(
                f"{self.name} exited ({self.process.returncode}) after {self.lines}: "
                f"{stderr.decode(errors='replace')[-2000:]}"
            )
        parsed: dict[str, Any] = json.loads(line)
        self.lines.append(parsed)
        return parsed

    async def expect(self, kind: str, within: float = 15.0) -> dict[str, Any]:
        """The next line of type `kind`, skipping others (bounded by `within` in total)."""
        deadline = time.monotonic() + within
        while True:
            line = await self.next(max(deadline - time.monotonic(), 0.01))
            if line.get("type") == kind:
                return line
            if line.get("type") == "fatal":
                pytest.fail(f"{self.name} failed: {line}")

    async def send(self, command: Mapping[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(command) + "\n").encode())
        await self.process.stdin.drain()

    async def finish(self, within: float = 15.0) -> int:
        if self.process.returncode is None and self.process.stdin is not None:
            self.process.stdin.close()
        try:
            return await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            self.process.kill()
            return await self.process.wait()

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


# --- an app's auth endpoint, signing with the project's own code -------------------------------


@pytest.fixture
async def auth_endpoint() -> AsyncIterator[str]:
    """``<url>/channel/<user_id>`` and ``<url>/user/<user_id>`` answer pusher-js as an app's
    auth endpoints do, with `channel_auth`/`user_auth` of mesg_pusher.pusher and APP's secret."""

    async def channel(request: web.Request) -> web.Response:
        form = await request.post()
        socket_id, name = str(form["socket_id"]), str(form["channel_name"])
        answer: dict[str, str] = {}
        channel_data = None
        if name.startswith("presence-"):
            user = request.match_info["user_id"]
            channel_data = dumps({"user_id": user, "user_info": {"name": user.title()}})
            answer["channel_data"] = channel_data
        answer["auth"] = channel_auth(
            key=APP.key,
            secret=APP.secret,
            socket_id=socket_id,
            channel=name,
            channel_data=channel_data,
        )
        return web.json_response(answer)

    async def user(request: web.Request) -> web.Response:
        form = await request.post()
        user_data = dumps({"id": request.match_info["user_id"]})
        auth = user_auth(
            key=APP.key, secret=APP.secret, socket_id=str(form["socket_id"]), user_data=user_data
        )
        return web.json_response({"auth": auth, "user_data": user_data})

    app = web.Application()
    app.router.add_post("/channel/{user_id}", channel)
    app.router.add_post("/user/{user_id}", user)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


# --- soketi, the third-party Pusher-protocol server ----------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Soketi:
    """A soketi 1.6.1 process on loopback serving APP."""

    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}"


@pytest.fixture
async def soketi(tmp_path: Path) -> AsyncIterator[Soketi]:
    async with running_soketi(tmp_path) as running:
        yield running


@pytest.fixture
async def soketi_with_signin(tmp_path: Path) -> AsyncIterator[Soketi]:
    """soketi with user authentication on for APP: it ignores a sign-in otherwise, and closes
    a connection that does not sign in within 30 s when it is on."""
    async with running_soketi(tmp_path, SOKETI_DEFAULT_APP_USER_AUTHENTICATION="true") as running:
        yield running


@asynccontextmanager
async def running_soketi(
    tmp_path: Path, more_config: Mapping[str, Any] | None = None, **more_env: str
) -> AsyncIterator[Soketi]:
    """soketi serving APP, with `more_env` (``SOKETI_...`` settings) added to its environment
    and `more_config` (dotted keys: ``appManager.array.apps.1.key`` for a second app) to its
    configuration file."""
    package = node_package("@soketi/soketi")
    env = {
        **os.environ,
        "SOKETI_DEFAULT_APP_ID": APP.app_id,
        "SOKETI_DEFAULT_APP_KEY": APP.key,
        "SOKETI_DEFAULT_APP_SECRET": APP.secret,
        "SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES": "true",
        "SOKETI_EVENT_MAX_SIZE_IN_KB": "10",
        "SOKETI_SHUTDOWN_GRACE_PERIOD": "0",
        **more_env,
    }
    # A free port can be taken between the probe and soketi's listen (by another test's
    # server): soketi then exits, or reports itself up while another program holds the port
    # and never answers /ready; either way it is started again on other ports.
    for attempt in range(1, 4):
        port, metrics = free_port(), free_port()
        config = {
            "host": "127.0.0.1",
            "port": port,
            "metrics.host": "127.0.0.1",
            "metrics.port": metrics,
            # Without the cluster keys soketi broadcasts UDP discovery to the whole network.
            "cluster.address": "127.0.0.1",
            "cluster.hostname": "127.0.0.1",
            "cluster.unicast": "127.0.0.1",
            "cluster.port": free_port(),
            **(more_config or {}),
        }
        (tmp_path / "soketi.json").write_text(json.dumps(config))
        log = (tmp_path / "soketi.log").open("wb")
        process = await asyncio.create_subprocess_exec(
            node(),
            str(package / "bin" / "server.js"),
            "start",
            f"--config={tmp_path / 'soketi.json'}",
            cwd=NODE_DIR,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
        )
        try:
            ready = await _soketi_ready(process, port)
            if not ready and attempt == 3:
                log.flush()
                output = (tmp_path / "soketi.log").read_text(errors="replace")[-3000:]
                pytest.fail(f"soketi did not become ready on port {port}: {output}")
            if ready:
                yield Soketi(process, port)
                return
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), 10)
                except TimeoutError:
                    process.kill()
                    await process.wait()
            log.close()


async def _soketi_ready(process: asyncio.subprocess.Process, port: int) -> bool:
    """Whether soketi answers ``/ready`` within 40 s (False at once if it exited)."""
    deadline = time.monotonic() + 40
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while process.returncode is None and time.monotonic() < deadline:
            try:
                async with session.get(f"http://127.0.0.1:{port}/ready") as answer:
                    if answer.status == 200 and (await answer.text()).strip() == "OK":
                        return True
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.2)
    return False


async def local_server_process(*args: str) -> asyncio.subprocess.Process:
    """``mesg-pusher local-server --port 0 ARGS`` as a process, its output piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mesg_pusher.cli",
        "local-server",
        "--port",
        "0",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def refused(*args: str) -> str:
    """What ``mesg-pusher local-server ARGS`` says on standard error as it refuses them (exit
    2, a usage error)."""
    process = await local_server_process(*args)
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2, err
    return err.decode()


@pytest.fixture
async def pair(server: LocalServer) -> AsyncIterator[tuple[Subscriber, Subscriber]]:
    """Two subscribers of `server`'s test app."""
    async with (
        await Subscriber.connect(server.ws_url, APP.key) as a,
        await Subscriber.connect(server.ws_url, APP.key) as b,
    ):
        yield a, b
