"""``mesg-pusher engine``: the stand-in run on its own prints what ``serve`` needs."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys

from mesg_pusher.engine import CoreClient

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
