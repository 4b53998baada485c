"""The README's first command: the whole system end to end, as a newcomer runs it."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys

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
    assert (
        'ListenEvent received channel_occupied: {"channel": "presence-demo-lobby", "time_ms": '
    ) in out
    assert (
        'ListenEvent received member_added: {"channel": "presence-demo-lobby", '
        '"user_id": "demo-visitor", "time_ms": '
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
            '  ListenEvent received channel_occupied: {"channel": "late-comers", "time_ms": '
        )
        # Ctrl-C: the terminal signals the whole group, and serve stops once, gracefully.
        os.killpg(process.pid, signal.SIGINT)
        assert process.stderr is not None
        async with asyncio.timeout(30):
            errors = (await process.stderr.read()).decode()
            assert await process.wait() == 0
        assert "exiting at once" not in errors, errors
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


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
