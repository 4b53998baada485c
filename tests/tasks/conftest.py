"""Fixtures for the task tests: a task runner and valid inputs to vary."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from mesg_pusher.pusher import HttpPool
from mesg_pusher.tasks import TaskRunner

SECRET = "s3cr3t-7ad3773142a6692b25b8"


@pytest.fixture
async def runner() -> AsyncIterator[TaskRunner]:
    http = HttpPool()
    yield TaskRunner(http)
    await http.close()


def trigger_inputs(**changes: Any) -> dict[str, Any]:
    """Valid trigger inputs aimed at a closed port, so nothing is published by accident."""
    inputs: dict[str, Any] = {
        "appId": "3",
        "key": "278d425bdf160c739803",
        "secret": SECRET,
        "host": "127.0.0.1",
        "port": 9,
        "channel": "my-channel",
        "name": "my-event",
        "data": {"message": "hello"},
    }
    inputs.update(changes)
    return {k: v for k, v in inputs.items() if v is not DROP}


def batch_inputs(batch: Any, **changes: Any) -> dict[str, Any]:
    inputs = trigger_inputs(**changes)
    for key in ("channel", "name", "data"):
        inputs.pop(key, None)
    inputs["batch"] = batch
    return inputs


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


DROP: Any = _Drop()
