"""The README's first command: the whole system end to end, as a newcomer runs it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mesg_pusher.demo import steps
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
    scenario = steps(DEFAULT_APP, 6001)
    expected_events = sum(len(step.events) for step in scenario)
    assert out.count("returned output success with data:") == 3
    assert out.count("returned output error with data:") == 2
    assert out.count("  subscriber received ") == expected_events
    assert "subscriber received 'order-shipped' on private-demo-alerts" in out
    assert f"{len(scenario)} executions answered through the engine protocol, " in out
    assert f"{expected_events} events delivered" in out
    assert "not-the-secret" not in out


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
