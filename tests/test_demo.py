"""The README's first command: the whole system end to end, as a newcomer runs it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mesg_pusher.demo import api_steps, steps
from mesg_pusher.local_server import DEFAULT_APP

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
