"""``sendToUser`` and ``terminateUserConnections`` through the mock transport: the request each
sends, the answer, and bad user ids named."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import pytest

from mesg_pusher.pusher import verify_signature
from mesg_pusher.tasks import TaskOutput, TaskRunner
from tests.tasks.conftest import DROP, SECRET, answering, inputs_for, sent_by


async def test_send_to_user_publishes_to_the_users_own_channel(runner: TaskRunner) -> None:
    output = await runner.execute("sendToUser", inputs_for("sendToUser", socket_id="1.2"))
    assert output == TaskOutput("success", {"message": "sent"})
    [(_, request)] = sent_by(runner)
    assert (request.method, request.path) == ("POST", "/apps/3/events")
    # socket_id is not an input of sendToUser: the event reaches every connection of the user.
    assert json.loads(request.body) == {
        "name": "greeting",
        "channels": ["#server-to-user-ada"],
        "data": '{"hi":1}',
    }
    assert verify_signature(SECRET, "POST", request.path, dict(parse_qsl(request.query)))


async def test_terminate_posts_an_empty_object_to_the_users_path(runner: TaskRunner) -> None:
    task = "terminateUserConnections"
    output = await runner.execute(task, inputs_for(task, userId="ada.lovelace@example"))
    assert output == TaskOutput("success", {"message": "terminated"})
    [(_, request)] = sent_by(runner)
    # Under /apps/<id>, unlike the official Python SDK's path.
    assert request.path == "/apps/3/users/ada.lovelace@example/terminate_connections"
    assert request.body == b"{}"
    assert verify_signature(SECRET, "POST", request.path, dict(parse_qsl(request.query)))


@pytest.mark.parametrize("task", ["sendToUser", "terminateUserConnections"])
@pytest.mark.parametrize(
    ("user_id", "expected"),
    [
        ("", "userId: a user id must not be empty"),
        ("ada lovelace", 'userId: user id "ada lovelace" has the forbidden character " "'),
        ("u" * 201, "userId: a user id is at most 200 characters (this one has 201)"),
        ("a/../b", 'userId: user id "a/../b" has the forbidden character "/"'),
        (DROP, "Inputs of task '{task}' are invalid. Value of 'userId' is required"),
        (42, "Inputs of task '{task}' are invalid. Value of 'userId' is not a string"),
    ],
)
async def test_bad_user_ids_are_named(
    runner: TaskRunner, task: str, user_id: Any, expected: str
) -> None:
    output = await runner.execute(task, inputs_for(task, userId=user_id))
    assert output.key == "error"
    assert output.data["error"].startswith(expected.format(task=task))
    assert sent_by(runner) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"data": "text"}, "Inputs of task 'sendToUser' are invalid. Value of 'data' is not an "),
        ({"name": "e" * 201}, "name: an event name is at most 200 characters"),
        ({"data": {"p": "x" * 10240}}, "data: event data is at most 10240 bytes once encoded"),
    ],
)
async def test_bad_events_for_a_user(
    runner: TaskRunner, changes: dict[str, Any], expected: str
) -> None:
    output = await runner.execute("sendToUser", inputs_for("sendToUser", **changes))
    assert output.data["error"].startswith(expected)


async def test_a_refusal_gives_pushers_status_and_message() -> None:
    runner = TaskRunner(answering(404, "Unknown app: 3"))
    output = await runner.execute(
        "terminateUserConnections", inputs_for("terminateUserConnections")
    )
    assert output == TaskOutput(
        "error",
        {
            "error": "Pusher answered 404 Not Found: Unknown app: 3",
            "kind": "rejected",
            "retry": "useless",
            "status": 404,
        },
    )
