"""The README's first command: the whole system end to end, as a newcomer runs it."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mesg_pusher.demo import api_steps, steps
from mesg_pusher.local_server import DEFAULT_APP, Subscriber

pytestmark = pytest.mark.integration


def test_demo_delivers_every_event_through_the_engine_protocol() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mesg_pusher.cli", "demo"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    scenario = [*steps(DEFAULT_APP, 6001), *api_steps("1.2")]
    expected_events = sum(len(step.events) for step in scenario)
    assert out.count("returned output success with data:") == 7
    assert out.count("returned output error with data:") == 2
    assert out.count("  subscriber received ") == expected_events
    assert "subscriber received 'order-shipped' on private-demo-alerts" in out
    # The API steps: a browser-style authorization joined with, a query, presence users.
    assert "Task authorizeChannel returned output success with data:" in out
    assert "  subscriber joined presence-demo-room with it (members: ada)" in out
    assert (
        'Task users returned output success with data:\n{\n  "users": [\n    {\n      "id": "ada"'
        in out
    )
    assert "Task channels returned output success with data:" in out
    assert f"{len(scenario)} executions answered through the engine protocol, " in out
    assert f"{expected_events} events delivered" in out
    assert "not-the-secret" not in out
    assert DEFAULT_APP.secret not in out
    # The loop back: the local server's webhooks reach serve, whose events ListenEvent hears.
    key = f'"app_key": "{DEFAULT_APP.key}"'
    assert (
        f'ListenEvent received channel_occupied: {{{key}, "channel": "presence-demo-lobby", '
        '"time_ms": '
    ) in out
    assert (
        f'ListenEvent received member_added: {{{key}, "channel": "presence-demo-lobby", '
        '"user_id": "demo-visitor", "time_ms": '
    ) in out
    # ada joined with channel data authorizeChannel signed inside serve: her info comes along.
    assert (
        f'ListenEvent received member_added: {{{key}, "channel": "presence-demo-room", '
        '"user_id": "ada", "user_info": {"name": "Ada"}, "time_ms": '
    ) in out
    assert re.search(r", \d+ MESG events emitted from webhooks, in ", out)


async def test_demo_stay_keeps_printing_the_events_of_webhooks() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mesg_pusher.cli",
        "demo",
        "--stay",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,  # a process group of its own, as a terminal gives a command
    )
    lines: list[str] = []

    async def line_with(text: str) -> str:
        assert process.stdout is not None
        async with asyncio.timeout(60):
            while True:
                line = (await process.stdout.readline()).decode()
                assert line, f"the demo ended: {lines}"
                lines.append(line)
                if text in line:
                    return line

    try:
        address = re.search(r"open (http://127\.0\.0\.1:\d+)/ to watch", await line_with("open "))
        assert address is not None
        await line_with("keep being printed as they come")
        async with await Subscriber.connect(address.group(1), DEFAULT_APP.key) as late:
            await late.subscribe("late-comers")
            shown = await line_with("late-comers")
        assert shown.startswith(
            f'  ListenEvent received channel_occupied: {{"app_key": "{DEFAULT_APP.key}", '
            '"channel": "late-comers", "time_ms": '
        )
        # The commands it printed run as they are, against its engine and its local server.
        told = lines[next(i for i, line in enumerate(lines) if "to watch" in line) :]
        printed = [line.strip() for line in told if line.startswith("    ")]
        assert len(printed) == 3
        execute, listen, direct = printed
        assert execute.startswith("mesg-pusher engine execute --endpoint 127.0.0.1:")
        assert listen.startswith("mesg-pusher engine listen --endpoint 127.0.0.1:")
        assert direct.startswith("PUSHER_URL=http://")
        listening = await shell(listen)
        try:
            assert listening.stdout is not None
            code, out, err = await run_shell(execute)
            assert (code, out) == (
                0,
                'Task trigger returned output success with data:\n{\n  "message": "sent"\n}\n',
            ), err
            async with asyncio.timeout(30):
                heard = (await listening.stdout.readline()).decode()
            assert heard == "Task trigger returned output success with data:\n"
            code, out, err = await run_shell(direct)
            assert (code, out) == (0, '{\n  "message": "sent"\n}\n'), err
        finally:
            listening.send_signal(signal.SIGTERM)
            async with asyncio.timeout(30):
                assert await listening.wait() == 0
        # Ctrl-C: the terminal signals the whole group, and serve stops once, gracefully.
        os.killpg(process.pid, signal.SIGINT)
        assert process.stderr is not None
        async with asyncio.timeout(30):
            errors = (await process.stderr.read()).decode()
            assert await process.wait() == 0
        assert "exiting at once" not in errors, errors
    finally:
        if process.returncode is None:
            # Ctrl-C first: the demo stops serve, which runs in a session of its own and would
            # outlive a killed demo, holding its pipes.
            os.killpg(process.pid, signal.SIGINT)
            try:
                async with asyncio.timeout(30):
                    await process.communicate()
            except TimeoutError:
                process.kill()
                await process.wait()


#: What a terminal has on its PATH once the project's environment is active.
_PATH = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


async def shell(command: str, *, replaced: bool = True) -> asyncio.subprocess.Process:
    """`command` as a terminal runs it (`replaced`: the shell replaced by it, so that a signal
    reaches it)."""
    return await asyncio.create_subprocess_shell(
        f"exec {command}" if replaced else command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PATH": _PATH},
    )


async def run_shell(command: str) -> tuple[int | None, str, str]:
    process = await shell(command, replaced=False)
    async with asyncio.timeout(60):
        out, err = await process.communicate()
    return process.returncode, out.decode(), err.decode()


@pytest.mark.parametrize("engine", ["v0.17.0", "v0.26.0"])
async def test_demo_stay_commands_run_on_the_releases_that_ask_more_of_a_caller(
    engine: str,
) -> None:
    # v0.17.0 wants an account's credentials on every call, v0.21+ a signature by the engine's
    # key: the printed commands carry both, and run as they are.
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mesg_pusher.cli", "demo", "--engine", engine, "--stay",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        assert process.stdout is not None
        async with asyncio.timeout(90):
            while not lines or "keep being printed" not in lines[-1]:
                line = (await process.stdout.readline()).decode()
                assert line, f"the demo ended: {lines}"
                lines.append(line)
        told = lines[next(i for i, line in enumerate(lines) if "to watch" in line) :]
        printed = [line.strip() for line in told if line.startswith("    ")]
        execute, listen, _ = printed
        key = re.search(r"--identity (\S+)", execute)
        if engine == "v0.17.0":
            assert execute.startswith(
                "MESG_PUSHER_CREDENTIAL_USERNAME=demo-account "
                "MESG_PUSHER_CREDENTIAL_PASSPHRASE=demo-passphrase mesg-pusher engine execute "
            )
            assert key is None
        else:
            assert key is not None
            assert f"--identity {key.group(1)}" in listen
        code, out, err = await run_shell(execute)
        assert (code, out) == (0, '{\n  "message": "sent"\n}\n'), err
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            async with asyncio.timeout(30):
                await process.communicate()
        except TimeoutError:
            process.kill()
            await process.wait()
    assert process.returncode == 0
    if key is not None:  # the key's file went with the demo
        assert not await asyncio.to_thread(os.path.exists, key.group(1))


def test_demo_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mesg_pusher.cli", "demo", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0
    assert "--stay" in done.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("engine", "events_on"),
    [("v0.10", "ListenEvent"), ("v0.16", "Event/Stream"), ("v0.20", "Event/Stream"),
     ("v0.26", "Event/Stream")],
)  # fmt: skip
def test_demo_on_a_later_engine_release_runs_the_whole_loop(engine: str, events_on: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mesg_pusher.cli", "demo", "--engine", engine],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    scenario = [*steps(DEFAULT_APP, 6001), *api_steps("1.2")]
    expected_events = sum(len(step.events) for step in scenario)
    assert f"(engine {engine}." in out
    assert out.count(" returned outputs:") == 7
    assert out.count("Task trigger failed: ") == 2
    assert "Task trigger failed: auth: Pusher answered 401 Unauthorized" in out
    assert out.count("  subscriber received ") == expected_events
    assert "  subscriber joined presence-demo-room with it (members: ada)" in out
    assert '"user_count": 1\n' in out  # a Struct's 1.0, shown as JSON shows it
    assert f"{len(scenario)} executions answered through the engine protocol, " in out
    visitor = [line for line in out.splitlines() if '"demo-visitor"' in line]
    assert visitor, out
    assert visitor[0].startswith(f"  {events_on} received member_added: {{")
    assert '"channel": "presence-demo-lobby"' in visitor[0]
    assert DEFAULT_APP.secret not in out


def test_demo_refuses_an_engine_release_it_does_not_know() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mesg_pusher.cli", "demo", "--engine", "v0.27"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "'v0.27' names no MESG engine release (v0.1 to v0.26)" in done.stderr
