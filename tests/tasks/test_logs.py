"""What the runner logs where it sends requests through the transport: each request to Pusher
at debug (task, method, path, status, duration; never the query, its auth_signature, or a
secret), Pusher refusing the credentials (401, 403) and configuration failures at warning."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from mesg_pusher import PusherConnectionError
from mesg_pusher.pusher import Connection, HttpRequest, MockTransport
from mesg_pusher.tasks import ServiceEnvironment, TaskRunner

from .conftest import SECRET, trigger_inputs

LOGGER = "mesg_pusher.tasks"


def answering(status: int, body: bytes = b"{}") -> TaskRunner:
    return TaskRunner(MockTransport(lambda connection, request: (status, body)))


def lines(caplog: Any) -> list[tuple[int, str, dict[str, Any]]]:
    return [
        (r.levelno, r.getMessage(), dict(getattr(r, "fields", {})))
        for r in caplog.records
        if r.name == LOGGER
    ]


@pytest.mark.parametrize(
    ("status", "level", "message"),
    [
        (200, logging.DEBUG, "Pusher request"),
        (400, logging.DEBUG, "Pusher request"),
        (401, logging.WARNING, "Pusher refused the request"),
        (403, logging.WARNING, "Pusher refused the request"),
        (404, logging.DEBUG, "Pusher request"),
        (500, logging.DEBUG, "Pusher request"),
    ],
)
async def test_each_request_has_its_line_and_a_refused_one_is_a_warning(
    caplog: Any, status: int, level: int, message: str
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    body = b'{"error": "Invalid signature"}' if status >= 400 else b"{}"
    await answering(status, body).execute("trigger", trigger_inputs())
    ((logged_level, logged, fields),) = lines(caplog)
    assert (logged_level, logged) == (level, message)
    duration = fields.pop("duration_ms")
    assert isinstance(duration, float)
    assert duration >= 0
    assert fields == {
        "task": "trigger",
        "method": "POST",
        "path": "/apps/3/events",
        "status": status,
    }
    assert "auth_signature" not in caplog.text
    assert "auth_key" not in caplog.text
    assert SECRET[:8] not in caplog.text


async def test_at_info_only_the_refusals_are_logged(caplog: Any) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    await answering(200).execute("trigger", trigger_inputs())
    await answering(401).execute("channels", trigger_inputs())
    assert [(level, fields["status"]) for level, _, fields in lines(caplog)] == [
        (logging.WARNING, 401)
    ]


async def test_a_request_that_got_no_answer_is_logged_with_its_failure(caplog: Any) -> None:
    def fail(connection: Connection, request: HttpRequest) -> tuple[int, bytes]:
        raise PusherConnectionError(
            "http://127.0.0.1:9/apps/3/events", "could not connect", sent=False
        )

    caplog.set_level(logging.DEBUG, logger=LOGGER)
    # No retries: a failure before anything was sent would be tried again, a line each time.
    inputs = trigger_inputs(retries=0)
    output = await TaskRunner(MockTransport(fail)).execute("trigger", inputs)
    assert output.key == "error"
    ((level, _, fields),) = lines(caplog)
    assert level == logging.DEBUG
    assert (fields["method"], fields["path"], fields["failure"]) == (
        "POST",
        "/apps/3/events",
        "PusherConnectionError",
    )
    assert "status" not in fields


async def test_a_path_never_shows_a_secret(caplog: Any) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    runner = answering(200, b'{"users": []}')
    # A channel name holding the secret is refused before anything is sent; the secret of
    # the environment is hidden from any path that would show it.
    output = await runner.execute("users", trigger_inputs(channel=f"presence-{SECRET}"))
    assert output.key == "error"
    assert SECRET[:8] not in caplog.text


async def test_configuration_failures_are_logged_as_warnings(caplog: Any) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    # An environment that breaks a rule fails every execution: a warning, once, at start (the
    # operations issue: configuration failures are warnings, shown at every log level).
    environment = ServiceEnvironment.read({"PUSHER_PORT": "eighty"})
    runner = TaskRunner(MockTransport(lambda c, r: (200, b"{}")), environment=environment)
    assert lines(caplog)[0][0] == logging.WARNING
    assert "PUSHER_PORT" in lines(caplog)[0][1]
    caplog.clear()
    runner = TaskRunner(MockTransport(lambda c, r: (200, b"{}")))
    inputs = trigger_inputs()
    del inputs["appId"]
    output = await runner.execute("trigger", inputs)
    assert output.key == "error"
    ((level, message, fields),) = lines(caplog)
    assert level == logging.WARNING
    assert message.startswith("a connection input is missing")
    assert fields == {"task": "trigger", "error": output.data["error"]}
