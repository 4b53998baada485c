"""``mesg-pusher engine execute`` and ``engine listen`` against the stand-in of each generation,
with a test service of that generation's library answering; and the stand-in's own command for
the later generations (what it prints, a G5 restart with the same identity)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from mesg_pusher.engine import Engine, EngineServer, Identity
from mesg_pusher.mesg.protocol import release
from tests.engine.later import WAIT, refusal
from tests.support.mesg_services import MesgService02, library

pytestmark = pytest.mark.integration
TRIGGER = ["-d", "appId=1", "-d", "key=k", "-d", "secret=s", "-d", "name=ev", "-d", 'data={"a":1}']


async def _run(*args: str, limit: float = 30) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mesg_pusher.cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(limit):
            out, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def _answer_each(service: Any, generation: int, outputs: dict[str, Any] | None) -> None:
    """Run the service: answer every execution with `outputs` (None: an error)."""
    tasks = service.listen()
    await tasks.ready()
    try:
        while True:
            task = await tasks.next()
            if generation == 1:
                key, data = (
                    ("success", outputs) if outputs is not None else ("error", {"message": "no"})
                )
                await service.answer(task.hash, key, data)
            elif outputs is None:
                await service.answer(task.hash, error="it broke")
            else:
                await service.answer(task.hash, outputs)
    finally:
        tasks.cancel()


@contextlib.asynccontextmanager
async def _running(tag: str, outputs: dict[str, Any] | None, **options: Any) -> AsyncIterator[Any]:
    """The stand-in of `tag` (the packaged mesg.yml) with a service answering."""
    chosen = release(tag)
    engine = Engine(
        release=chosen, block_seconds=0.05 if chosen.generation >= 4 else None, **options
    )
    async with EngineServer(engine) as server:
        env = server.environment()
        service = library(chosen.tag, server.address, env)
        if chosen.generation == 5:
            await service.register()
        worker = asyncio.create_task(_answer_each(service, chosen.generation, outputs))
        try:
            async with asyncio.timeout(WAIT):
                await engine.wait_until(lambda: engine.task_listeners() == 1)
            yield engine, server
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            await service.close()


@pytest.mark.parametrize(("tag", "header"), [
    ("v0.2.0", "Task trigger returned output success with data:\n"),
    ("v0.10.1", "Result of task trigger\n"),
    ("v0.16.0", ""),
    ("v0.20.0", ""),
])  # fmt: skip
async def test_execute_prints_the_result_as_the_release_cli_did(tag: str, header: str) -> None:
    async with _running(tag, {"message": "sent", "channels": {}}) as (engine, server):
        status, out, err = await _run(
            "engine", "execute", "--endpoint", server.address, "--service", engine.token,
            "--protocol", tag, "trigger", *TRIGGER, "-d", "channel=c",
        )  # fmt: skip
    assert (status, err) == (0, "")
    assert out.startswith(header)
    assert json.loads(out.removeprefix(header)) == {"message": "sent", "channels": {}}


async def test_execute_on_v0_26_signs_with_the_stand_in_key(tmp_path: Path) -> None:
    key = tmp_path / "engine.key"
    identity = Identity.load(key)
    async with _running("v0.26.0", {"message": "sent"}, identity=identity) as (engine, server):
        arguments = ["engine", "execute", "--endpoint", server.address, "--service", engine.token]
        arguments += ["--protocol", "v0.26", "trigger", *TRIGGER, "-d", "channel=c"]
        status, out, err = await _run(*arguments, "--identity", str(key))
        assert (status, err, json.loads(out)) == (0, "", {"message": "sent"})
        status, _, err = await _run(*arguments)
        assert status == 2
        assert err == (
            "mesg-pusher engine execute: error: --identity FILE is needed from v0.21: the calls "
            "are signed\n"
        )


@pytest.mark.parametrize("tag", ["v0.10.1", "v0.16.0"])
async def test_a_failed_execution_or_a_refusal_is_an_error(tag: str) -> None:
    async with _running(tag, None) as (engine, server):
        base = ["engine", "execute", "--endpoint", server.address, "--service", engine.token]
        status, out, err = await _run(
            *base, "--protocol", tag, "trigger", *TRIGGER, "-d", "channel=c"
        )
        assert (status, out, err) == (1, "", "mesg-pusher engine execute: error: it broke\n")
        status, out, err = await _run(*base, "--protocol", tag, "trigger", "-d", "appId=1")
    assert (status, out) == (1, "")
    assert err.startswith("mesg-pusher engine execute: error: ")
    assert "are invalid" in err


@pytest.mark.parametrize("tag", ["v0.2.0", "v0.16.0"])
async def test_execute_warns_of_an_input_the_task_does_not_declare(tag: str) -> None:
    async with _running(tag, {"message": "sent", "channels": {}}) as (engine, server):
        status, _, err = await _run(
            "engine", "execute", "--endpoint", server.address, "--service", engine.token,
            "--protocol", tag, "trigger", *TRIGGER, "-d", "channel=c", "-d", "chanel=c",
        )  # fmt: skip
    assert status == 0
    assert err == (
        "mesg-pusher engine execute: warning: task trigger has no input 'chanel'; it is left "
        "out (did you mean 'channel'?)\n"
    )


async def test_execute_refusals_of_its_own() -> None:
    status, _, err = await _run(
        "engine", "execute", "--endpoint", "127.0.0.1:1", "--service", "x", "t", "-d", "oops"
    )
    assert (status, err) == (
        2,
        "mesg-pusher engine execute: error: -d: expected KEY=VALUE, got 'oops'\n",
    )
    status, _, err = await _run(
        "engine", "execute", "--endpoint", "127.0.0.1:1", "--service", "x", "trigger",
        "--timeout", "5", *TRIGGER,
    )  # fmt: skip
    assert status == 1
    assert err.startswith("mesg-pusher engine execute: error: ")


@pytest.mark.parametrize("tag", ["v0.2.0", "v0.16.0", "v0.26.0"])
async def test_listen_prints_results_and_events_as_they_come(tag: str, tmp_path: Path) -> None:
    key = tmp_path / "engine.key"
    options: dict[str, Any] = {"identity": Identity.load(key)} if tag == "v0.26.0" else {}
    async with _running(tag, {"message": "sent"}, **options) as (engine, server):
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "mesg_pusher.cli", "engine", "listen",
            "--endpoint", server.address, "--service", engine.token, "--protocol", tag,
            "--identity", str(key),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            async with asyncio.timeout(WAIT * 3):
                await engine.wait_until(lambda: engine.listening() == 3)  # + the service's
                execution = await engine.execute(
                    engine.token,
                    "trigger",
                    {
                        "appId": "1",
                        "key": "k",
                        "secret": "s",
                        "name": "e",
                        "data": {},
                        "channel": "c",
                    },
                )
                await engine.wait_until(lambda: execution in engine.results)
                data = {"channel": "c", "app_key": "k", "time_ms": 1}
                if tag == "v0.2.0":
                    engine.emit_event(engine.token, "channel_occupied", json.dumps(data))
                else:
                    engine.emit(engine.service(), "channel_occupied", data)
                assert process.stdout is not None
                lines = [(await process.stdout.readline()).decode() for _ in range(7)]
        finally:
            os.kill(process.pid, signal.SIGTERM)
            async with asyncio.timeout(WAIT):
                status = await process.wait()
    header = (
        "Task trigger returned output success with data:\n"
        if tag == "v0.2.0"
        else "Task trigger returned outputs:\n"
    )
    assert lines[0] == header
    assert json.loads("".join(lines[1:4])) == {"message": "sent"}
    assert lines[4] == "Event channel_occupied with data:\n"
    assert status == 0


async def test_the_stand_in_command_for_the_later_generations(tmp_path: Path) -> None:
    """It prints the release's variables; a G5 stand-in restarted with the same identity hands
    the same signature, which verifies again, and has forgotten every token."""
    key = tmp_path / "engine.key"
    first = await _start(
        "--protocol", "v0.26", "--block-ms", "50", "--identity", str(key), "--env", "FOO=bar"
    )
    try:
        header, env = await _printed(first, 8)
        assert header == (
            "MESG engine stand-in (v0.26.0 semantics, generation 5, blocks of 0.05 s) for service "
            "mesg-pusher\n"
        )
        assert list(env) == [
            "MESG_SERVICE_HASH", "MESG_INSTANCE_HASH", "MESG_RUNNER_HASH", "MESG_ENDPOINT",
            "MESG_REGISTER_SIGNATURE", "MESG_ENV_HASH", "FOO",
        ]  # fmt: skip
        service = MesgService02(env["MESG_ENDPOINT"], env)
        async with asyncio.timeout(WAIT):
            old_token = await service.register()
        port = env["MESG_ENDPOINT"].rsplit(":", 1)[1]
    finally:
        await _stop(first)
    second = await _start(
        "--protocol", "v0.26", "--block-ms", "50", "--identity", str(key), "--env", "FOO=bar",
        "--port", port,
    )  # fmt: skip
    try:
        _, again = await _printed(second, 8)
        assert again == env
        assert old_token
        assert await refusal(
            service.emit("channel_occupied", {"channel": "c", "app_key": "k", "time_ms": 1})
        ) == ("credential token doesn't exist")
        async with asyncio.timeout(WAIT):
            assert await service.register() != old_token
            assert (
                await service.emit(
                    "channel_occupied", {"channel": "c", "app_key": "k", "time_ms": 1}
                )
                == b""
            )
        await service.close()
    finally:
        await _stop(second)


@pytest.mark.parametrize(("options", "names"), [
    (["--protocol", "v0.10"], ["MESG_TOKEN", "MESG_ENDPOINT"]),
    (["--protocol", "v0.15", "--env", "A=1"],
     ["MESG_TOKEN", "MESG_ENDPOINT", "MESG_ENDPOINT_TCP", "A"]),
    (["--protocol", "v0.18"], ["MESG_INSTANCE_HASH", "MESG_RUNNER_HASH", "MESG_ENDPOINT"]),
])  # fmt: skip
async def test_the_stand_in_prints_the_release_variables(
    options: list[str], names: list[str]
) -> None:
    process = await _start(*options)
    try:
        header, env = await _printed(process, len(names) + 1)
    finally:
        await _stop(process)
    assert re.fullmatch(
        r"MESG engine stand-in \(v0\.\d+\.\d semantics, generation \d(, blocks of 5 s)?\) "
        r"for service mesg-pusher\n",
        header,
    )
    assert list(env) == names


async def test_options_a_release_has_no_use_for_are_refused() -> None:
    status, _, err = await _run("engine", "--protocol", "v0.16", "--block-ms", "10")
    assert (status, err) == (
        2,
        "mesg-pusher engine: error: --block-ms has no meaning for engine v0.16.0 (generation 3)\n",
    )
    status, _, err = await _run("engine", "--protocol", "v0.9.9")
    assert status == 2
    assert (
        "'v0.9.9' is not a MESG engine release" in err
        or "v0.9.9 is not a MESG engine release" in err
    )


async def _start(*options: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mesg_pusher.cli", "engine", *options,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def _printed(process: asyncio.subprocess.Process, lines: int) -> tuple[str, dict[str, str]]:
    assert process.stdout is not None
    async with asyncio.timeout(WAIT * 2):
        read = [(await process.stdout.readline()).decode() for _ in range(lines)]
    env = dict(line.rstrip("\n").split("=", 1) for line in read[1:])
    return read[0], env


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        os.kill(process.pid, signal.SIGTERM)
        async with asyncio.timeout(WAIT):
            await process.wait()


@pytest.mark.parametrize("command", ["execute", "listen"])
@pytest.mark.parametrize("tag", ["v0.14.0", "v0.20.0"])
async def test_a_service_that_is_not_a_base58_hash_is_a_usage_error(tag: str, command: str) -> None:
    # A first-generation token (hex, with 0s) given to a release that names services by hash.
    args = ["engine", command, "--protocol", tag, "--endpoint", "127.0.0.1:1"]
    args += ["--service", "cafe0123", *(["trigger", *TRIGGER] if command == "execute" else [])]
    status, out, err = await _run(*args)
    assert (status, out) == (2, "")
    assert err == (
        f"mesg-pusher engine {command}: error: --service: 'cafe0123' is not a hash in base58 "
        "(invalid base58 digit ('0')): from v0.14 the application API names a service by its "
        "hash, as the engine's CLI lists it\n"
    )
