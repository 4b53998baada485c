"""Fixtures for the task tests: a task runner on a mock transport, and valid inputs to vary."""

from __future__ import annotations

from typing import Any

import pytest

from mesg_pusher.pusher import Connection, HttpRequest, MockTransport
from mesg_pusher.tasks import TaskRunner

SECRET = "s3cr3t-7ad3773142a6692b25b8"


def accept(connection: Connection, request: HttpRequest) -> tuple[int, bytes]:
    """What Pusher answers a request it accepts."""
    return 200, b"{}"


@pytest.fixture
def transport() -> MockTransport:
    return MockTransport(accept)


@pytest.fixture
def runner(transport: MockTransport) -> TaskRunner:
    return TaskRunner(transport)


def sent_by(runner: TaskRunner) -> list[tuple[Connection, HttpRequest]]:
    """What `runner` sent through its mock transport."""
    assert isinstance(runner.transport, MockTransport)
    return runner.transport.sent


def trigger_inputs(**changes: Any) -> dict[str, Any]:
    """Valid trigger inputs (aimed at a closed port, should one reach a real transport)."""
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


def inputs_for(task: str, **changes: Any) -> dict[str, Any]:
    """Valid inputs of any task, with `changes` (DROP removes a key)."""
    own: dict[str, Any] = {
        "channels": {},
        "channel": {"channel": "presence-room"},
        "users": {"channel": "presence-room"},
        "sendToUser": {"userId": "ada", "name": "greeting", "data": {"hi": 1}},
        "terminateUserConnections": {"userId": "ada"},
        "authorizeChannel": {"socket_id": "1234.5678", "channel": "private-room"},
        "authenticateUser": {"socket_id": "1234.5678", "user_data": {"id": "ada"}},
    }
    base = {k: v for k, v in trigger_inputs().items() if k not in ("channel", "name", "data")}
    if task.startswith("auth"):
        base = {"key": base["key"], "secret": base["secret"]}
    inputs = {**base, **own[task], **changes}
    return {k: v for k, v in inputs.items() if v is not DROP}


def answering(status: int, body: bytes | str) -> MockTransport:
    """A transport whose server answers every request with `status` and `body`."""
    raw = body.encode() if isinstance(body, str) else body
    return MockTransport(lambda connection, request: (status, raw))
