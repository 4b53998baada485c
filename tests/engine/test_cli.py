"""``mesg-pusher engine``: the stand-in run on its own prints what ``serve`` needs."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from pathlib import Path

import pytest

from mesg_pusher.engine import CoreClient

pytestmark = pytest.mark.slow

INPUTS = {"appId": "3", "key": "k", "secret": "s", "name": "ev", "data": {}, "channel": "c"}


async def test_engine_command_prints_address_and_token_and_stops_on_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mesg_pusher.cli",
        "engine",
        "--token",
        "t0ken",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(20):
            lines = [(await process.stdout.readline()).decode() for _ in range(3)]
        assert lines[0].startswith("MESG engine stand-in (v0.2.0 semantics)")
        endpoint = re.fullmatch(r"MESG_ENDPOINT_TCP=(127\.0\.0\.1:\d+)\n", lines[1])
        assert endpoint is not None
        assert lines[2] == "MESG_TOKEN=t0ken\n"
        async with CoreClient(endpoint.group(1)) as client:
            assert await client.execute("t0ken", "trigger", INPUTS)
        os.kill(process.pid, signal.SIGTERM)
        async with asyncio.timeout(20):
            assert await process.wait() == 0
            _, errors = await process.communicate()
        assert b"created, handed to 0 listeners" in errors
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.mark.parametrize(("shape", "joined"), [("v0.2", True), ("v0.4", False)])
async def test_engine_command_makes_ids_of_the_shape_asked(shape: str, joined: bool) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mesg_pusher.cli",
        "engine",
        "--token",
        "t0ken",
        "--id-shape",
        shape,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(20):
            lines = [(await process.stdout.readline()).decode() for _ in range(3)]
        assert lines[0].endswith(f"execution ids of {shape}\n")
        endpoint = re.fullmatch(r"MESG_ENDPOINT_TCP=(127\.0\.0\.1:\d+)\n", lines[1])
        assert endpoint is not None
        async with CoreClient(endpoint.group(1)) as client:
            execution_id = await client.execute("t0ken", "trigger", INPUTS)
        if joined:
            assert execution_id.endswith(
                '.mesg-pusher.trigger.{"appId":"3","channel":"c",'
                '"data":{},"key":"k","name":"ev","secret":"s"}'
            )
        else:
            assert re.fullmatch("[0-9a-f]{40}", execution_id)
        os.kill(process.pid, signal.SIGTERM)
        async with asyncio.timeout(20):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _engine_command(*args: str) -> tuple[int, list[str]]:
    """Run ``mesg-pusher engine`` expecting it to end by itself: its status and stderr lines."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GRPC_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mesg_pusher.cli",
        "engine",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environ,
    )
    try:
        async with asyncio.timeout(20):
            out, errors = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert out == b""
    return process.returncode or 0, errors.decode().splitlines()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name: caf\xe9\n", "not UTF-8 text"),
        (b"name: x\ndescription: " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested too deeply"),
        (b"name: [x\n", "mesg.yml is not valid YAML: while parsing a flow sequence"),
    ],
    ids=["not-utf-8", "deep", "not-yaml"],
)
async def test_a_mesg_yml_it_cannot_read_is_a_one_line_usage_error(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "mesg.yml"
    path.write_bytes(content)
    status, lines = await _engine_command("--file", str(path))
    assert status == 2
    assert len(lines) == 1, lines
    assert lines[0].startswith("mesg-pusher engine: error: ")
    assert message in lines[0]


async def test_an_address_it_cannot_listen_on_is_a_one_line_usage_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status, lines = await _engine_command("--port", str(port))
    assert (status, lines) == (
        2,
        [f"mesg-pusher engine: error: cannot listen on 127.0.0.1:{port}: Address already in use"],
    )
    missing = tmp_path / "no-such-dir"
    status, lines = await _engine_command("--unix-socket", str(missing / "s.sock"))
    assert (status, lines) == (
        2,
        [
            f"mesg-pusher engine: error: cannot listen on unix:{missing}/s.sock: "
            f"no such directory: {missing}"
        ],
    )
    status, lines = await _engine_command("--port", "70000")
    assert status == 2
    assert lines[-1].endswith("argument --port: '70000' is not a port (0 to 65535)")
