"""Every task through ``mesg-pusher serve`` as a process, the engine stand-in in front of it and
the local Pusher server behind it, as the engine would run the service: credentials from the
service's environment only (none in the executions), outputs through ``ListenResult``, events
seen by a subscriber, and no secret in serve's log."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from mesg_pusher.engine import CoreClient, Engine, EngineServer, Results
from mesg_pusher.local_server import LocalServer, ServerSettings, Subscriber
from mesg_pusher.pusher import App

pytestmark = pytest.mark.integration

APP = App("42", "serve-key", "serve-secret-9c1d7a55e0")
MASTER_KEY = base64.b64encode(bytes(range(150, 182))).decode()
WAIT = 20.0


@asynccontextmanager
async def serve_process(
    tmp_path: Path, engine: EngineServer, pusher: LocalServer
) -> AsyncIterator[Path]:
    """serve with the engine's two variables and the app's credentials; its log's path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MESG_", "PUSHER_"))}
    env.update(
        MESG_TOKEN=engine.token,
        MESG_ENDPOINT_TCP=engine.address,
        PUSHER_URL=f"http://{APP.key}:{APP.secret}@127.0.0.1:{pusher.port}/apps/{APP.app_id}",
        PUSHER_ENCRYPTION_MASTER_KEY_BASE64=MASTER_KEY,
        PUSHER_KEEPALIVE="true",
        MESG_PUSHER_LOG_LEVEL="debug",
    )
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "mesg_pusher.cli", "serve", env=env, stdout=log, stderr=log
        )
    try:
        async with asyncio.timeout(WAIT):
            while engine.engine.task_listeners(engine.token) < 1:
                assert process.returncode is None, log_path.read_text()
                await asyncio.sleep(0.02)
        yield log_path
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), WAIT)
            except TimeoutError:
                process.kill()
                await process.wait()


async def run(
    core: CoreClient, results: Results, token: str, task: str, inputs: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    execution = await core.execute(token, task, inputs)
    async with asyncio.timeout(WAIT):
        result = (await results.wait_for([execution]))[execution]
    return result.outputKey, json.loads(result.outputData)


async def test_every_task_through_serve_with_credentials_from_the_environment(
    tmp_path: Path,
) -> None:
    async with (
        LocalServer(ServerSettings(apps=(APP,))) as pusher,
        EngineServer(Engine()) as engine,
        serve_process(tmp_path, engine, pusher) as log_path,
        CoreClient(engine.address) as core,
        core.results(engine.token) as results,
        await Subscriber.connect(pusher.ws_url, APP.key) as subscriber,
    ):
        token = engine.token

        async def ok(task: str, inputs: dict[str, Any]) -> dict[str, Any]:
            key, data = await run(core, results, token, task, inputs)
            assert key == "success", (task, data)
            return data

        socket = subscriber.socket_id
        # A browser-style authorization made by the service, used to join.
        member = {"user_id": "ada", "user_info": {"name": "Ada"}}
        auth = await ok(
            "authorizeChannel",
            {"socket_id": socket, "channel": "presence-room", "channel_data": member},
        )
        await subscriber.subscribe(
            "presence-room", auth=auth["auth"], channel_data=auth["channel_data"]
        )
        sealed = await ok(
            "authorizeChannel", {"socket_id": socket, "channel": "private-encrypted-room"}
        )
        assert set(sealed) == {"auth", "shared_secret"}
        await subscriber.subscribe("private-encrypted-room", auth=sealed["auth"])
        signed = await ok("authenticateUser", {"socket_id": socket, "user_data": {"id": "ada"}})
        assert set(signed) == {"auth", "user_data"}

        assert await ok("channels", {"filter_by_prefix": "presence-", "info": "user_count"}) == {
            "channels": {"presence-room": {"user_count": 1}}
        }
        assert await ok("channel", {"channel": "presence-room", "info": "user_count"}) == {
            "occupied": True,
            "user_count": 1,
        }
        assert await ok("users", {"channel": "presence-room"}) == {"users": [{"id": "ada"}]}

        published = await ok(
            "trigger",
            {
                "channel": "presence-room",
                "name": "hello",
                "data": {"n": 1},
                "info": "user_count,subscription_count",
            },
        )
        assert published == {
            "message": "sent",
            "channels": {"presence-room": {"user_count": 1, "subscription_count": 1}},
        }
        event = await subscriber.next_event(within=WAIT)
        assert (event.event, event.json()) == ("hello", {"n": 1})
        await ok("trigger", {"channel": "private-encrypted-room", "name": "sealed", "data": {}})
        event = await subscriber.next_event(within=WAIT)
        assert event.event == "sealed"
        assert set(event.json()) == {"nonce", "ciphertext"}
        batch = [{"name": "b", "channel": "presence-room", "data": "x", "info": "user_count"}]
        assert await ok("triggerBatch", {"batch": batch}) == {
            "message": "sent",
            "batch": [{"user_count": 1}],
        }
        await subscriber.next_event(within=WAIT)

        await subscriber.signin(APP, {"id": "ada"})
        await ok("sendToUser", {"userId": "ada", "name": "greeting", "data": {"hi": 1}})
        event = await subscriber.next_event(within=WAIT)
        assert (event.event, event.channel) == ("greeting", "#server-to-user-ada")
        assert await ok("terminateUserConnections", {"userId": "ada"}) == {"message": "terminated"}
        assert await subscriber.wait_closed(within=WAIT) is not None

        key, data = await run(core, results, token, "users", {"channel": "public"})
        assert (key, data) == (
            "error",
            {
                "error": "channel: users lists the members of presence- channels only, and "
                '"public" is not one',
                "kind": "input",
                "retry": "useless",
            },
        )
        assert engine.engine.refused() == []

    log = log_path.read_text("utf-8")
    assert log.count(" task=users outcome=") == 2, log  # one line an execution
    for secret in (APP.secret, MASTER_KEY):
        assert secret[:8] not in log
