"""``serve``'s log levels, run as the engine runs it against the local Pusher server: at ``debug``
each request to Pusher has its line (method, path, status, duration) and never a secret or the
query's ``auth_signature``; Pusher refusing the credentials (401) or the app (403), and a
configuration failure, are warnings, so they show at ``info`` and ``warning`` too."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from mesg_pusher.engine import CoreClient, Engine, EngineServer
from mesg_pusher.local_server import LocalServer, ServerSettings
from mesg_pusher.pusher import App
from tests.runtime.conftest import WAIT, until
from tests.runtime.test_process import engine_env, serve

pytestmark = pytest.mark.integration

GOOD = App("5", "good-key", "good-secret-4e5f6a7b")
SHUT = App("6", "shut-key", "shut-secret-8c9d0e1f")
WRONG_SECRET = "wrong-secret-2b3c4d5e"


def trigger(app: App, port: int, secret: str | None = None, **more: Any) -> dict[str, Any]:
    return {
        "appId": app.app_id,
        "key": app.key,
        "secret": secret or app.secret,
        "host": "127.0.0.1",
        "port": port,
        "channel": "news",
        "name": "e",
        "data": {"n": 1},
        **more,
    }


async def log_of(tmp_path: Path, level: str) -> str:
    """serve's log at `level` after four executions: accepted, a wrong secret (401), a
    disabled app (403), and one that nobody gives an app id (a configuration failure)."""
    settings = ServerSettings(apps=(GOOD, SHUT), disabled=frozenset({SHUT.app_id}))
    engine = Engine()
    async with (
        LocalServer(settings) as pusher,
        EngineServer(engine) as server,
        CoreClient(server.address) as core,
        core.results(server.token) as results,
        serve(tmp_path, {**engine_env(server), "MESG_PUSHER_LOG_LEVEL": level}) as process,
    ):
        await until(lambda: engine.task_listeners() >= 1)
        port = pusher.port
        no_app_id = trigger(GOOD, port)
        del no_app_id["appId"]
        ids = [
            await core.execute(server.token, "trigger", inputs)
            for inputs in (
                trigger(GOOD, port),
                trigger(GOOD, port, secret=WRONG_SECRET),
                trigger(SHUT, port),
                no_app_id,
            )
        ]
        async with asyncio.timeout(WAIT):
            answered = await results.wait_for(ids)
        assert [answered[i].outputKey for i in ids] == ["success", "error", "error", "error"]
        await until(lambda: process.log().count(" execution ") >= 4 or level == "warning")
        return process.log()


def lines(log: str, level: str, message: str) -> list[str]:
    return [line for line in log.splitlines() if f" {level} {message} " in line]


async def test_debug_shows_each_request_and_refusals_are_warnings(tmp_path: Path) -> None:
    log = await log_of(tmp_path, "debug")
    (accepted,) = lines(log, "debug", "Pusher request")
    assert re.fullmatch(
        r"\S+ debug Pusher request task=trigger method=POST path=/apps/5/events status=200 "
        r"duration_ms=\d+\.\d+",
        accepted,
    )
    refused = lines(log, "warning", "Pusher refused the request")
    assert [re.sub(r"duration_ms=\S+", "", line.split(" ", 1)[1]) for line in refused] == [
        "warning Pusher refused the request task=trigger method=POST path=/apps/5/events "
        "status=401 ",
        "warning Pusher refused the request task=trigger method=POST path=/apps/6/events "
        "status=403 ",
    ]
    (missing,) = lines(log, "warning", "a connection input is missing:")
    assert "task=trigger" in missing
    assert "PUSHER_APP_ID" in missing
    for secret in (GOOD.secret, SHUT.secret, WRONG_SECRET):
        assert secret not in log
    # The request lines show no query (the 401's error output quotes Pusher's own message,
    # which repeats the string it signed, as an execution's answer always has).
    assert not [line for line in [accepted, *refused] if "auth_" in line or "?" in line]


@pytest.mark.parametrize("level", ["info", "warning"])
async def test_above_debug_the_refusals_still_show(tmp_path: Path, level: str) -> None:
    log = await log_of(tmp_path, level)
    assert not lines(log, "debug", "Pusher request")
    assert len(lines(log, "warning", "Pusher refused the request")) == 2
    assert len(lines(log, "warning", "a connection input is missing:")) == 1
    assert WRONG_SECRET not in log
