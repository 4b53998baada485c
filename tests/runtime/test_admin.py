"""The admin address of ``serve`` run as a process: ``/health`` and ``/metrics`` there and only
there, and the container's HEALTHCHECK, the very command both Dockerfiles give, run with the
address they set: healthy while the task stream is open, unhealthy once it is not, or when serve
is gone."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from mesg_pusher.engine import Engine, EngineServer
from mesg_pusher.mesg import releases
from mesg_pusher.mesg._service_dir import dockerfile
from tests.runtime.conftest import WAIT, until
from tests.runtime.test_process import engine_env, serve
from tests.support.processes import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ADMIN_VARIABLE = "MESG_PUSHER_ADMIN_LISTEN"


def healthcheck(text: str) -> tuple[list[str], str]:
    """A Dockerfile's HEALTHCHECK command (its exec form) and the admin address its ENV sets."""
    (command,) = re.findall(r"^HEALTHCHECK .*? CMD (\[.*\])$", text, re.MULTILINE)
    (address,) = re.findall(rf"^ENV {ADMIN_VARIABLE}=(\S+)$", text, re.MULTILINE)
    return json.loads(command), address


def test_both_dockerfiles_check_health_the_same_way_on_the_containers_loopback() -> None:
    root = healthcheck((ROOT / "Dockerfile").read_text("utf-8"))
    written = healthcheck(dockerfile("v0.16", releases("v0.16"), "x.whl"))
    assert root == written == (["mesg-pusher", "health"], "127.0.0.1:3001")


async def run_check(command: list[str], address: str) -> tuple[int, str, str]:
    """The HEALTHCHECK's command as Docker runs it in the container, `address` in its
    environment (this checkout's console script standing for the image's)."""
    program = str(Path(sys.executable).parent / command[0])
    process = await asyncio.create_subprocess_exec(
        program,
        *command[1:],
        env={"PATH": str(Path(sys.executable).parent), ADMIN_VARIABLE: address},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(WAIT):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_healthcheck_follows_the_task_stream_and_serve_itself(tmp_path: Path) -> None:
    command, _ = healthcheck((ROOT / "Dockerfile").read_text("utf-8"))
    address = f"127.0.0.1:{free_port()}"  # the container's 127.0.0.1:3001, on this machine
    engine = Engine()
    async with EngineServer(engine) as server:
        env = {**engine_env(server), ADMIN_VARIABLE: address, "PUSHER_APP_KEY": "k"}
        async with serve(tmp_path, env) as process:
            await until(lambda: engine.task_listeners() >= 1)
            assert await run_check(command, address) == (0, "up\n", "")
            log = process.log()
            assert f"serving health and metrics health=http://{address}/health" in log
            assert f"metrics=http://{address}/metrics" in log
            webhooks = re.search(r"listening for webhooks webhooks=(\S+)", log)
            assert webhooks is not None
            async with aiohttp.ClientSession() as http:
                for path in ("/health", "/metrics"):
                    async with http.get(webhooks.group(1).replace("/webhooks", path)) as answer:
                        assert answer.status == 404
                async with http.get(f"http://{address}/webhooks") as answer:
                    assert answer.status == 404
            await server.drop()
            await until(lambda: engine.task_listeners() == 0)
            code, out, _ = await run_check(command, address)
            assert (code, out) == (1, "down: the task stream with the engine is not open\n")
            process.send(signal.SIGTERM)
            assert await process.exit_status() == 0
    code, out, err = await run_check(command, address)
    assert (code, out) == (1, "")
    assert err.startswith(f"mesg-pusher health: error: no answer from {address}: ")


@pytest.mark.parametrize(
    ("address", "said"),
    [
        ("", "no admin address: set MESG_PUSHER_ADMIN_LISTEN (or --admin-listen)"),
        ("127.0.0.1:0", "admin-listen is 127.0.0.1:0: no fixed address to ask"),
        ("off", "admin-listen is off: no fixed address to ask"),
        ("nowhere", "admin-listen: HOST:PORT (port 0 to 65535), [IPv6]:PORT or off"),
    ],
)
async def test_a_healthcheck_with_nothing_to_ask_is_unhealthy(address: str, said: str) -> None:
    code, out, err = await run_check(["mesg-pusher", "health"], address)
    assert (code, out, err) == (1, "", f"mesg-pusher health: error: {said}\n")
