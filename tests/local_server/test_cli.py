"""``mesg-pusher local-server`` as a user runs it: address and credentials printed once it is
listening, secrets given with --app never echoed, a clean exit on SIGINT and SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence

import pytest

from mesg_pusher.local_server import DEFAULT_APP, Subscriber
from mesg_pusher.pusher import PusherClient

from .conftest import local_server_process, refused

pytestmark = pytest.mark.slow


async def start(args: Sequence[str]) -> tuple[asyncio.subprocess.Process, list[str]]:
    process = await local_server_process(*args)
    assert process.stdout is not None
    lines: list[str] = []
    while not any(line.startswith("Debug console:") for line in lines):
        raw = await asyncio.wait_for(process.stdout.readline(), 30)
        if not raw:
            stderr = await process.stderr.read() if process.stderr else b""
            pytest.fail(f"local-server exited early: {lines} {stderr.decode()}")
        lines.append(raw.decode().rstrip("\n"))
    return process, lines


def port_of(lines: list[str]) -> int:
    prefix = "Local Pusher server listening on http://127.0.0.1:"
    assert lines[0].startswith(prefix), lines
    return int(lines[0][len(prefix) :])


async def stop(process: asyncio.subprocess.Process, signum: int) -> tuple[int, str]:
    process.send_signal(signum)
    out, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, out.decode()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_default_app_is_printed_and_serves(signum: int) -> None:
    process, lines = await start([])
    try:
        port = port_of(lines)
        assert lines[1] == (
            f"App id: {DEFAULT_APP.app_id}  key: {DEFAULT_APP.key}  "
            f"secret: {DEFAULT_APP.secret}  (default app)"
        )
        async with (
            await Subscriber.connect(f"ws://127.0.0.1:{port}", DEFAULT_APP.key) as sub,
            PusherClient(
                app_id=DEFAULT_APP.app_id,
                key=DEFAULT_APP.key,
                secret=DEFAULT_APP.secret,
                host="127.0.0.1",
                port=port,
                tls=False,
            ) as client,
        ):
            await sub.subscribe("cli")
            assert await client.trigger("cli", "hello", {"from": "cli test"}) == {}
            assert (await sub.next_event()).json() == {"from": "cli test"}
    finally:
        code, rest = await stop(process, signum)
    assert code == 0
    assert "Local Pusher server stopped" in rest


async def test_given_apps_are_printed_without_their_secrets() -> None:
    process, lines = await start(["--app", "7:key-seven:s3cr3t-seven", "--app", "8:key-eight:s:8"])
    try:
        port = port_of(lines)
        assert "App id: 7  key: key-seven  (secret as given with --app)" in lines
        assert "App id: 8  key: key-eight  (secret as given with --app)" in lines
        async with PusherClient(
            app_id="8", key="key-eight", secret="s:8", host="127.0.0.1", port=port, tls=False
        ) as client:
            assert await client.trigger("c", "e", "x") == {}
    finally:
        code, rest = await stop(process, signal.SIGTERM)
    assert code == 0
    printed = "\n".join(lines) + rest
    assert "s3cr3t-seven" not in printed
    assert "s:8" not in printed


async def test_bad_app_option_is_a_usage_error() -> None:
    assert "ID:KEY:SECRET" in await refused("--app", "only:two")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--app", "7:my key:top-secret-value"], "--app: key: an app key uses only letters"),
        (["--max-data-bytes", "-5"], "--max-data-bytes: must be at least 1 (got -5)"),
        (["--activity-timeout", "-1"], "--activity-timeout: must be a positive number of seconds"),
        (["--cache-ttl", "inf"], "--cache-ttl: must be a positive number of seconds, 86400 at"),
        (["--webhook", "ftp://u:top-secret-value@h/"], "--webhook: expected an http:// or https"),
    ],
)
async def test_a_refused_option_is_named_as_written(args: list[str], message: str) -> None:
    err = await refused(*args)
    assert err.startswith(f"mesg-pusher local-server: error: {message}"), err
    assert "top-secret-value" not in err  # an app's secret, a URL's password
