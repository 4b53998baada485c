"""``channels``, ``channel`` and ``users`` through the mock transport: the signed GET each sends,
the answer each gives (what Pusher returned, no more), the original service's ``params``, every
bad input named, and Pusher's refusals with their status and message."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import pytest

from mesg_pusher.pusher import HttpRequest, verify_signature
from mesg_pusher.tasks import TaskOutput, TaskRunner
from tests.tasks.conftest import DROP, SECRET, answering, inputs_for, sent_by


def query_of(request: HttpRequest) -> dict[str, str]:
    return dict(parse_qsl(request.query, keep_blank_values=True))


async def run(task: str, answer: bytes | str, **changes: Any) -> tuple[TaskOutput, HttpRequest]:
    runner = TaskRunner(answering(200, answer))
    output = await runner.execute(task, json.dumps(inputs_for(task, **changes)))
    [(_, request)] = sent_by(runner)
    assert request.method == "GET"
    assert request.body == b""
    assert verify_signature(SECRET, "GET", request.path, query_of(request))
    return output, request


async def test_channels_lists_what_pusher_answers() -> None:
    answer = '{"channels":{"presence-a":{"user_count":3},"presence-b":{"user_count":1}}}'
    output, request = await run("channels", answer, filter_by_prefix="presence-", info="user_count")
    assert output == TaskOutput(
        "success",
        {"channels": {"presence-a": {"user_count": 3}, "presence-b": {"user_count": 1}}},
    )
    assert request.path == "/apps/3/channels"
    assert query_of(request)["filter_by_prefix"] == "presence-"
    assert query_of(request)["info"] == "user_count"


async def test_channels_without_a_query_and_with_none_occupied() -> None:
    output, request = await run("channels", '{"channels":{}}')
    assert output == TaskOutput("success", {"channels": {}})
    assert set(query_of(request)) == {
        "auth_key",
        "auth_timestamp",
        "auth_version",
        "auth_signature",
    }


async def test_the_original_services_params_and_the_inputs_that_win_over_them() -> None:
    params = {"filter_by_prefix": "presence-", "info": ["user_count", "subscription_count"]}
    _, request = await run("channels", '{"channels":{}}', params=params)
    assert query_of(request)["filter_by_prefix"] == "presence-"
    assert query_of(request)["info"] == "user_count,subscription_count"
    _, request = await run("channels", '{"channels":{}}', params=params, info="subscription_count")
    assert query_of(request)["info"] == "subscription_count"
    _, request = await run("channel", '{"occupied":true}', params={"info": "user_count"})
    assert query_of(request)["info"] == "user_count"


async def test_channel_gives_occupied_and_the_attributes_pusher_returned() -> None:
    output, request = await run(
        "channel",
        '{"occupied":true,"user_count":2,"subscription_count":3,"extra":"x"}',
        info="user_count,subscription_count",
    )
    assert output == TaskOutput(
        "success", {"occupied": True, "user_count": 2, "subscription_count": 3}
    )
    assert request.path == "/apps/3/channels/presence-room"
    assert query_of(request)["info"] == "user_count,subscription_count"
    cache = {"event": "price", "data": '{"eur":3}', "ttl": 1800}
    output, _ = await run(
        "channel", json.dumps({"occupied": False, "cache": cache}), channel="cache-x", info="cache"
    )
    assert output == TaskOutput("success", {"occupied": False, "cache": cache})


async def test_users_lists_the_presence_members() -> None:
    output, request = await run("users", '{"users":[{"id":"ada"},{"id":"bob"}]}')
    assert output == TaskOutput("success", {"users": [{"id": "ada"}, {"id": "bob"}]})
    assert request.path == "/apps/3/channels/presence-room/users"


BAD_QUERIES = [
    (
        "channels",
        {"info": "user_count"},
        "info: info user_count needs a filter_by_prefix starting with presence- (user counts "
        "exist on presence- channels only; Pusher refuses it)",
    ),
    (
        "channels",
        {"info": "members"},
        'info: unknown attribute "members" (known here: subscription_count, user_count)',
    ),
    (
        "channels",
        {"filter_by_prefix": "bad prefix"},
        'filter_by_prefix: channel name prefix "bad prefix" has the forbidden character " " '
        "(allowed: A-Z a-z 0-9 _ - = @ , . ;)",
    ),
    (
        "channels",
        {"params": {"filter_by_prefix": "private-", "limit": 3}},
        'params: unknown query parameter "limit" (params takes filter_by_prefix and info)',
    ),
    (
        "channels",
        {"params": {"info": "user_count"}},
        "params.info: info user_count needs a filter_by_prefix starting with presence- (user "
        "counts exist on presence- channels only; Pusher refuses it)",
    ),
    (
        "channels",
        {"params": ["info"]},
        "params: params is an object with filter_by_prefix and info",
    ),
    (
        "channels",
        {"params": {"info": 3}},
        "params.info: info is a comma list or an array of attribute names",
    ),
    (
        "channel",
        {"channel": "private-room", "info": "user_count"},
        'info: info user_count exists on presence- channels only, and "private-room" is not one '
        "(Pusher refuses it)",
    ),
    (
        "channel",
        {"info": "cache,,user_count"},
        "info: info is a comma list of attributes (like cache,subscription_count,user_count); "
        "it has an empty item",
    ),
    (
        "channel",
        {"params": {"filter_by_prefix": "x"}},
        'params: unknown query parameter "filter_by_prefix" (params takes info)',
    ),
    ("channel", {"channel": "a/b"}, 'channel: channel name "a/b" has the forbidden character "/"'),
    (
        "users",
        {"channel": "private-room"},
        'channel: users lists the members of presence- channels only, and "private-room" is '
        "not one",
    ),
    ("users", {"channel": "public"}, "channel: users lists the members of presence- channels only"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("task", "changes", "expected"), BAD_QUERIES)
async def test_every_bad_query_is_refused_naming_the_input(
    runner: TaskRunner, task: str, changes: dict[str, Any], expected: str
) -> None:
    output = await runner.execute(task, inputs_for(task, **changes))
    assert output.key == "error", output
    assert output.data["error"].startswith(expected)
    assert sent_by(runner) == []


@pytest.mark.parametrize(
    ("task", "key", "value", "problem"),
    [
        ("channels", "filter_by_prefix", 1, "is not a string"),
        ("channels", "info", ["user_count"], "is not a string"),
        ("channels", "params", "info=user_count", "is not an object or array"),
        ("channel", "channel", DROP, "is required"),
        ("channel", "channel", 7, "is not a string"),
        ("users", "channel", None, "is required"),
    ],
)
async def test_types_are_checked_in_the_engines_words(
    runner: TaskRunner, task: str, key: str, value: Any, problem: str
) -> None:
    output = await runner.execute(task, inputs_for(task, **{key: value}))
    assert (
        output.data["error"] == f"Inputs of task '{task}' are invalid. Value of '{key}' {problem}"
    )


@pytest.mark.slow
@pytest.mark.parametrize("task", ["channels", "channel", "users"])
@pytest.mark.parametrize(
    ("status", "body", "expected", "kind"),
    [
        (
            400,
            "info=user_count is only available for presence channels",
            "Pusher answered 400 Bad Request: info=user_count is only available for presence "
            "channels",
            "rejected",
        ),
        (401, "Invalid signature", "Pusher answered 401 Unauthorized: Invalid signature", "auth"),
        (404, "Unknown app", "Pusher answered 404 Not Found: Unknown app", "rejected"),
        (
            200,
            '{"error":"Channel does not exist","code":404}',
            "Pusher answered 404 Not Found: Channel does not exist",
            "rejected",
        ),
    ],
)
async def test_pusher_refusals_give_status_and_message(
    task: str, status: int, body: str, expected: str, kind: str
) -> None:
    output = await TaskRunner(answering(status, body)).execute(task, inputs_for(task))
    code = status if status != 200 else 404
    assert output == TaskOutput(
        "error", {"error": expected, "kind": kind, "retry": "useless", "status": code}
    )


async def no_wait(seconds: float) -> None:
    return None


@pytest.mark.parametrize("status", [500, 502, 504])
@pytest.mark.parametrize("task", ["channels", "channel", "users", "terminateUserConnections"])
async def test_a_call_that_publishes_nothing_is_tried_again_after_any_5xx(
    task: str, status: int
) -> None:
    transport = answering(status, "oops")
    output = await TaskRunner(transport, sleep=no_wait).execute(task, inputs_for(task))
    assert (output.data["kind"], output.data["retry"], output.data["status"]) == (
        "server",
        "safe",
        status,
    )
    assert len(transport.sent) == 3  # the first try and the 2 retries
    assert output.data["error"].endswith("(after 3 tries)")


@pytest.mark.parametrize(
    ("task", "body", "expected"),
    [
        ("channels", "{}", "Pusher's answer to the channels query has no channels object"),
        ("channel", '{"occupied":"yes"}', "Pusher's answer to the channel query has no occupied"),
        ("users", '{"users":{"id":"1"}}', "Pusher's answer to the users query has no users array"),
        ("users", "<html>ok</html>", "Pusher's answer to the users query has no users array"),
    ],
)
async def test_a_2xx_answer_without_what_the_endpoint_returns_is_an_error(
    task: str, body: str, expected: str
) -> None:
    output = await TaskRunner(answering(200, body)).execute(task, inputs_for(task))
    assert output.key == "error"
    assert output.data["error"].startswith(expected)


async def test_an_answer_repeating_the_secret_is_not_passed_on() -> None:
    body = json.dumps({"channels": {f"presence-{SECRET}": {}}})
    output = await TaskRunner(answering(200, body)).execute("channels", inputs_for("channels"))
    assert output == TaskOutput(
        "error",
        {
            "error": "Pusher's answer holds the app secret, the proxy password or the encryption "
            "master key; it is not passed on",
            "kind": "server",
            "retry": "useless",
        },
    )


async def test_an_answer_whose_values_show_the_secret_once_read_is_not_passed_on() -> None:
    # The user id holds the secret's JSON escapes, escaped once more (\\u0073...): read twice,
    # as the scrubbing reads a text, it shows the secret; the body, JSON itself, needs thrice.
    escaped = "".join(f"\\\\u{ord(c):04x}" for c in SECRET)
    body = json.dumps({"users": [{"id": "1"}, {"id": escaped}]})
    assert SECRET not in json.loads(body)["users"][1]["id"]
    output = await TaskRunner(answering(200, body)).execute("users", inputs_for("users"))
    assert output.key == "error"
    assert output.data["error"].startswith("Pusher's answer holds the app secret")


async def test_channel_names_in_an_answer_are_kept_as_pusher_wrote_them() -> None:
    # Whatever a server names its channels, the output is valid (an Object) and holds them.
    body = json.dumps({"channels": {"a\u2028b": {}, "": {"subscription_count": 0}}})
    output = await TaskRunner(answering(200, body)).execute("channels", inputs_for("channels"))
    assert output == TaskOutput(
        "success", {"channels": {"a\u2028b": {}, "": {"subscription_count": 0}}}
    )
