"""Every kind of bad input gets the error output naming the input and the rule; none raises,
and nothing is sent (the runner's mock transport records every request)."""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import Any

import pytest

from mesg_pusher.pusher import App
from mesg_pusher.tasks import TASKS, ApiTask, Context, TaskRunner
from tests.tasks.conftest import DROP, SECRET, batch_inputs, sent_by, trigger_inputs


async def error_of(runner: TaskRunner, task: str, inputs: Any, kind: str = "input") -> str:
    """The message of the error output, which says its kind and that retrying is useless."""
    output = await runner.execute(task, inputs if isinstance(inputs, str) else json.dumps(inputs))
    assert output.key == "error", output
    assert output.data == {"error": output.data["error"], "kind": kind, "retry": "useless"}
    message = output.data["error"]
    assert isinstance(message, str)
    assert SECRET not in message
    assert sent_by(runner) == []
    return message


@pytest.mark.parametrize("key", ["name", "data"])
async def test_missing_required_trigger_input(runner: TaskRunner, key: str) -> None:
    message = await error_of(runner, "trigger", trigger_inputs(**{key: DROP}))
    assert message == f"Inputs of task 'trigger' are invalid. Value of '{key}' is required"


@pytest.mark.parametrize(
    ("key", "variables"),
    [
        ("appId", "PUSHER_APP_ID or PUSHER_URL"),
        ("key", "PUSHER_APP_KEY or PUSHER_URL"),
        ("secret", "PUSHER_APP_SECRET or PUSHER_URL"),
    ],
)
@pytest.mark.parametrize("task", ["trigger", "triggerBatch"])
async def test_missing_credentials_name_the_input_and_its_variables(
    runner: TaskRunner, task: str, key: str, variables: str
) -> None:
    # Without a default from the environment: absent, null and empty all count as not given.
    batch = [{"name": "e", "channel": "c", "data": "d"}]
    inputs = trigger_inputs() if task == "trigger" else batch_inputs(batch)
    for missing in (DROP, None, ""):
        given = {k: v for k, v in {**inputs, key: missing}.items() if v is not DROP}
        message = await error_of(runner, task, given)
        assert message == (
            f"{key}: is required: give the input {key}, or set {variables} in the service's "
            "environment"
        )


async def test_null_counts_as_missing(runner: TaskRunner) -> None:
    message = await error_of(runner, "trigger", trigger_inputs(name=None))
    assert message == "Inputs of task 'trigger' are invalid. Value of 'name' is required"


async def test_missing_required_batch_input(runner: TaskRunner) -> None:
    inputs = batch_inputs([{"name": "e", "channel": "c", "data": "d"}])
    del inputs["batch"]
    message = await error_of(runner, "triggerBatch", inputs)
    assert message == "Inputs of task 'triggerBatch' are invalid. Value of 'batch' is required"


WRONG_TYPES = [
    ("appId", 3, "is not a string"),
    ("key", ["k"], "is not a string"),
    ("secret", {"s": 1}, "is not a string"),
    ("name", 1.5, "is not a string"),
    ("channel", 7, "is not a string"),
    ("channels", "my-channel", "is not an object or array"),
    ("data", "text", "is not an object or array"),
    ("data", 12, "is not an object or array"),
    ("cluster", True, "is not a string"),
    ("host", 127, "is not a string"),
    ("proxy", {}, "is not a string"),
    ("socket_id", 1.2, "is not a string"),
    ("port", "8080", "is not a number"),
    ("port", True, "is not a number"),
    ("timeout", "fast", "is not a number"),
    ("encrypted", "true", "is not a boolean"),
    ("encrypted", 1, "is not a boolean"),
    ("keepAlive", "yes", "is not a boolean"),
]


@pytest.mark.parametrize(("key", "value", "problem"), WRONG_TYPES)
async def test_wrong_json_type_for_a_trigger_input(
    runner: TaskRunner, key: str, value: Any, problem: str
) -> None:
    changes: dict[str, Any] = {key: value}
    if key == "channels":
        changes["channel"] = DROP
    message = await error_of(runner, "trigger", trigger_inputs(**changes))
    assert message == f"Inputs of task 'trigger' are invalid. Value of '{key}' {problem}"


async def test_wrong_type_for_batch(runner: TaskRunner) -> None:
    message = await error_of(runner, "triggerBatch", batch_inputs("events"))
    assert message == (
        "Inputs of task 'triggerBatch' are invalid. Value of 'batch' is not an object or array"
    )


async def test_several_problems_are_joined_in_key_order(runner: TaskRunner) -> None:
    message = await error_of(runner, "trigger", trigger_inputs(data=DROP, port="x", name=2))
    assert message == (
        "Inputs of task 'trigger' are invalid. Value of 'data' is required. "
        "Value of 'name' is not a string. Value of 'port' is not a number"
    )


async def test_both_channel_and_channels(runner: TaskRunner) -> None:
    message = await error_of(runner, "trigger", trigger_inputs(channels=["a"]))
    assert message == "channel: give either channel or channels, not both"


async def test_neither_channel_nor_channels(runner: TaskRunner) -> None:
    message = await error_of(runner, "trigger", trigger_inputs(channel=DROP))
    assert message == "channel: one of channel or channels is required"


@pytest.mark.parametrize(("count", "rule"), [(0, "at least one channel"), (101, "at most 100")])
async def test_channel_count(runner: TaskRunner, count: int, rule: str) -> None:
    channels = [f"c{i}" for i in range(count)]
    message = await error_of(runner, "trigger", trigger_inputs(channel=DROP, channels=channels))
    assert message.startswith("channels: ")
    assert rule in message


async def test_channels_must_be_an_array_of_strings(runner: TaskRunner) -> None:
    message = await error_of(runner, "trigger", trigger_inputs(channel=DROP, channels={"a": "b"}))
    assert message == "channels: an array of channel names is expected, not an object"
    message = await error_of(runner, "trigger", trigger_inputs(channel=DROP, channels=["a", 2]))
    assert message == "channels[1]: a channel name is a string"


async def test_forbidden_character_in_a_channel_name(runner: TaskRunner) -> None:
    message = await error_of(runner, "trigger", trigger_inputs(channel="my channel"))
    assert message == (
        'channel: channel name "my channel" has the forbidden character " " '
        "(allowed: A-Z a-z 0-9 _ - = @ , . ;)"
    )
    message = await error_of(
        runner, "trigger", trigger_inputs(channel=DROP, channels=["ok", "bad*"])
    )
    assert message.startswith('channels[1]: channel name "bad*" has the forbidden character "*"')


async def test_channel_name_over_200_characters(runner: TaskRunner) -> None:
    message = await error_of(runner, "trigger", trigger_inputs(channel="c" * 201))
    assert message == "channel: a channel name is at most 200 characters (this one has 201)"


async def test_event_name_over_200_characters(runner: TaskRunner) -> None:
    message = await error_of(runner, "trigger", trigger_inputs(name="e" * 201))
    assert message == "name: an event name is at most 200 characters (this one has 201)"


def data_of_size(size: int, filler: str = "x") -> dict[str, str]:
    """A data object whose compact JSON encoding is exactly `size` UTF-8 bytes."""
    overhead = len(b'{"p":""}')
    width = len(filler.encode())
    count, rest = divmod(size - overhead, width)
    data = {"p": filler * count + "y" * rest}
    assert len(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()) == size
    return data


async def test_data_of_10241_bytes(runner: TaskRunner) -> None:
    message = await error_of(runner, "trigger", trigger_inputs(data=data_of_size(10241)))
    assert message == (
        "data: event data is at most 10240 bytes once encoded as UTF-8 (this is 10241 bytes)"
    )


async def test_multibyte_characters_count_as_bytes(runner: TaskRunner) -> None:
    data = data_of_size(10241, "€")
    assert len(json.dumps(data, separators=(",", ":"), ensure_ascii=False)) < 10240 // 2
    message = await error_of(runner, "trigger", trigger_inputs(data=data))
    assert "(this is 10241 bytes)" in message


@pytest.mark.parametrize("socket_id", ["abc", "1234", "12.34.56", "1234.5678 "])
async def test_malformed_socket_id(runner: TaskRunner, socket_id: str) -> None:
    message = await error_of(runner, "trigger", trigger_inputs(socket_id=socket_id))
    assert message.startswith('socket_id: a socket id looks like "1234.5678"')


async def test_empty_batch(runner: TaskRunner) -> None:
    message = await error_of(runner, "triggerBatch", batch_inputs([]))
    assert message == "batch: a batch holds at least one event"


async def test_eleven_batch_events(runner: TaskRunner) -> None:
    events = [{"name": "e", "channel": f"c{i}", "data": "d"} for i in range(11)]
    message = await error_of(runner, "triggerBatch", batch_inputs(events))
    assert message == (
        "batch: a batch holds at most 10 events (got 11); with split: true it is sent in calls "
        "of 10"
    )


async def test_batch_as_an_object(runner: TaskRunner) -> None:
    message = await error_of(runner, "triggerBatch", batch_inputs({"name": "e"}))
    assert message == "batch: an array of events is expected, not an object"


@pytest.mark.parametrize("item", ["text", 3, None, ["a"], True])
async def test_batch_item_that_is_not_an_object(runner: TaskRunner, item: Any) -> None:
    events = [{"name": "e", "channel": "c", "data": "d"}, item]
    message = await error_of(runner, "triggerBatch", batch_inputs(events))
    assert message == "batch[1]: an event is an object with name, channel and data"


@pytest.mark.parametrize("field", ["name", "channel", "data"])
async def test_batch_item_lacking_a_field(runner: TaskRunner, field: str) -> None:
    event = {"name": "e", "channel": "c", "data": "d"}
    del event[field]
    events = [{"name": "e", "channel": "c", "data": "d"}] * 3 + [event]
    message = await error_of(runner, "triggerBatch", batch_inputs(events))
    assert message == f"batch[3].{field}: is required"


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"name": 1, "channel": "c", "data": "d"}, "batch[0].name: an event name is a string"),
        ({"name": "e", "channel": [], "data": "d"}, "batch[0].channel: a channel name is a string"),
        (
            {"name": "e", "channel": "c", "data": "d", "socket_id": 1},
            "batch[0].socket_id: a socket id is a string",
        ),
        (
            {"name": "e", "channel": "bad channel", "data": "d"},
            'batch[0].channel: channel name "bad channel" has the forbidden character " " '
            "(allowed: A-Z a-z 0-9 _ - = @ , . ;)",
        ),
        (
            {"name": "e" * 201, "channel": "c", "data": "d"},
            "batch[0].name: an event name is at most 200 characters (this one has 201)",
        ),
        (
            {"name": "e", "channel": "c", "data": "x" * 10241},
            "batch[0].data: event data is at most 10240 bytes once encoded as UTF-8 "
            "(this is 10241 bytes)",
        ),
    ],
)
async def test_batch_item_rules_name_their_index(
    runner: TaskRunner, event: dict[str, Any], expected: str
) -> None:
    message = await error_of(runner, "triggerBatch", batch_inputs([event]))
    assert message == expected


async def test_batch_item_malformed_socket_id(runner: TaskRunner) -> None:
    events = [
        {"name": "e", "channel": "c", "data": "d"},
        {**{"name": "e", "channel": "c"}, "data": "d", "socket_id": "nope"},
    ]
    message = await error_of(runner, "triggerBatch", batch_inputs(events))
    assert message.startswith('batch[1].socket_id: a socket id looks like "1234.5678"')


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("port", -1, "port: a port is a whole number from 1 to 65535 (got -1)"),
        ("port", 0, "port: a port is a whole number from 1 to 65535 (got 0)"),
        ("port", 70000, "port: a port is a whole number from 1 to 65535 (got 70000)"),
        ("port", 80.5, "port: a port is a whole number from 1 to 65535 (got 80.5)"),
        ("port", "eighty", "Inputs of task 'trigger' are invalid. Value of 'port' is not a number"),
        (
            "timeout",
            -100,
            "timeout: a timeout is a number of milliseconds above 0 and at most 86400000 "
            "(got -100)",
        ),
        (
            "timeout",
            0,
            "timeout: a timeout is a number of milliseconds above 0 and at most 86400000 (got 0)",
        ),
        (
            "timeout",
            "1s",
            "Inputs of task 'trigger' are invalid. Value of 'timeout' is not a number",
        ),
    ],
)
async def test_bad_port_or_timeout(runner: TaskRunner, key: str, value: Any, expected: str) -> None:
    assert await error_of(runner, "trigger", trigger_inputs(**{key: value})) == expected


@pytest.mark.parametrize(
    "proxy",
    ["proxy:3128", "ftp://proxy:21", "http://", "http://proxy:notaport", "http://proxy/path"],
)
async def test_malformed_proxy_url(runner: TaskRunner, proxy: str) -> None:
    message = await error_of(runner, "trigger", trigger_inputs(proxy=proxy))
    assert message.startswith("proxy: ")


async def test_proxy_password_is_never_echoed(runner: TaskRunner, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    message = await error_of(runner, "trigger", trigger_inputs(proxy="http://user:hunter2"))
    assert "hunter2" not in message
    assert "hunter2" not in caplog.text


async def test_unknown_task_key(runner: TaskRunner) -> None:
    message = await error_of(runner, "publish", trigger_inputs())
    assert message == (
        "taskKey: Task 'publish' not found in service 'mesg-pusher' (its tasks: "
        "authenticateUser, authorizeChannel, channel, channels, sendToUser, "
        "terminateUserConnections, trigger, triggerBatch, users)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{not json", "inputData: not valid JSON"),
        ("[1, 2]", "inputData: the inputs are a JSON object"),
        ('{"port": NaN}', "inputData: not valid JSON (NaN is not valid JSON)"),
        ("", "inputData: not valid JSON"),
    ],
)
async def test_input_data_that_is_not_a_json_object(
    runner: TaskRunner, text: str, expected: str
) -> None:
    message = await error_of(runner, "trigger", text)
    assert message.startswith(expected)


async def test_bad_host_and_cluster(runner: TaskRunner) -> None:
    message = await error_of(runner, "trigger", trigger_inputs(host="http://example.com"))
    assert message.startswith("host: a host name without scheme, port or path")
    message = await error_of(runner, "trigger", trigger_inputs(host=DROP, cluster="eu/x"))
    assert message.startswith("cluster: a cluster name uses only letters, digits and '-'")


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"channel": f"{SECRET} x"}, "channel"),
        ({"name": SECRET * 20}, "name"),
        ({"channel": DROP, "channels": ["ok", "x" + SECRET]}, "channels[1]"),
        ({"data": {"nested": [{"note": f"my secret is {SECRET}"}]}}, "data.nested[0].note"),
        ({"data": {SECRET: 1}}, "data (a key)"),
        ({"socket_id": SECRET}, "socket_id"),
        ({"host": SECRET}, "host"),
    ],
)
async def test_no_other_input_may_hold_the_secret(
    runner: TaskRunner, caplog: Any, changes: dict[str, Any], where: str
) -> None:
    caplog.set_level(logging.DEBUG)
    message = await error_of(runner, "trigger", trigger_inputs(**changes))
    assert message == (
        f"{where}: holds the app secret, the proxy password or the encryption master key, "
        "or 8 or more characters in a row of one (written out or in base64), which "
        "must never be published or shown; nothing was sent"
    )
    assert SECRET not in caplog.text


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        # Most of it: an answer quoting the channel would have been refused after publishing.
        ({"channel": SECRET[:-1], "info": "subscription_count"}, "channel"),
        ({"data": {"s": SECRET[5:14]}}, "data.s"),
        ({"data": {"s": base64.b64encode(SECRET.encode()).decode()}}, "data.s"),
        ({"channels": ["ok", SECRET[2:11]], "channel": DROP}, "channels[1]"),
    ],
)
async def test_no_input_may_show_a_run_of_the_secret_and_nothing_is_sent(
    runner: TaskRunner, changes: dict[str, Any], where: str
) -> None:
    message = await error_of(runner, "trigger", trigger_inputs(**changes))
    assert message.startswith(f"{where}: holds the app secret"), message
    assert SECRET[:8] not in message
    assert sent_by(runner) == []


async def test_inputs_are_looked_through_as_written_at_a_cost_that_grows_with_their_size(
    runner: TaskRunner,
) -> None:
    # Ordinary text full of & and %, 1 MB of it: decoding every escape in every way cost 6 s
    # and 1 GB here. Escaped forms are what an answer is read for, not an input.
    data = {"html": "<a href='/?a=1&amp;b=%20'>x</a>\\n" * 30_000}
    started = time.process_time()
    message = await error_of(runner, "trigger", trigger_inputs(data=data))
    assert message.startswith("data: event data is at most 10240 bytes"), message
    assert time.process_time() - started < 1.0  # a bound on the work, not a measurement


async def test_a_short_run_of_the_secret_is_ordinary_text(runner: TaskRunner) -> None:
    inputs = trigger_inputs(data={"s": SECRET[:7], SECRET[7:14]: 1})
    assert (await runner.execute("trigger", inputs)).key == "success"
    assert len(sent_by(runner)) == 1


async def test_no_batch_event_may_hold_the_secret(runner: TaskRunner) -> None:
    events = [
        {"name": "e", "channel": "c", "data": "d"},
        {"name": "e", "channel": "c", "data": {"k": [SECRET]}},
    ]
    message = await error_of(runner, "triggerBatch", batch_inputs(events))
    assert message.startswith("batch[1].data.k[0]: holds the app secret")


@pytest.mark.slow
async def test_no_input_may_hold_the_proxy_password(runner: TaskRunner) -> None:
    password = "proxy-pa55word"
    message = await error_of(
        runner,
        "trigger",
        trigger_inputs(proxy=f"http://user:{password}@127.0.0.1:9", data={"p": password}),
    )
    assert message.startswith("data.p: holds the app secret, the proxy password")


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("port", 10**400, "port: a port is a whole number from 1 to 65535 (got 10000000… "),
        ("timeout", -(10**400), "timeout: a timeout is a number of milliseconds above 0"),
        ("secret", "top-secret\ud800", "secret: an app secret must be valid Unicode text"),
        ("proxy", "http://u:pa55\ud800@h:1", "proxy: proxy credentials must be valid Unicode"),
    ],
)
async def test_values_python_reads_but_cannot_use_are_input_errors(
    runner: TaskRunner, caplog: Any, key: str, value: Any, expected: str
) -> None:
    caplog.set_level(logging.DEBUG)
    # Written as JSON text: these values only arise from parsing (a 401-digit integer, an
    # escaped lone surrogate), so they are spliced in as the engine would pass them.
    literal = str(value) if isinstance(value, int) else f'"{value}"'
    raw = json.dumps(trigger_inputs(**{key: DROP}))[:-1] + f', "{key}": {literal}}}'
    message = await error_of(runner, "trigger", raw)
    assert message.startswith(expected)
    assert "internal error" not in message
    assert "top-secret" not in caplog.text


async def test_inputs_are_not_changed_by_execution(runner: TaskRunner) -> None:
    events = [{"name": "e", "channel": "c", "data": {"k": [1]}}]
    inputs = batch_inputs(events)
    snapshot = json.dumps(inputs)
    await runner.execute("triggerBatch", inputs)
    assert json.dumps(inputs) == snapshot


async def test_short_secrets_are_not_scrubbed_from_ordinary_words(runner: TaskRunner) -> None:
    message = await error_of(runner, "trigger", trigger_inputs(secret="s", port="x"))
    assert message == "Inputs of task 'trigger' are invalid. Value of 'port' is not a number"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"data": {"x": 1e400}}', "inputData: not valid JSON (the number 1e400 is too large"),
        ('{"data": ' + "[" * 50_000 + "]" * 50_000 + "}", "inputData: not valid JSON (nested too"),
    ],
)
async def test_json_that_python_cannot_carry_is_an_input_error(
    runner: TaskRunner, text: str, expected: str
) -> None:
    message = await error_of(runner, "trigger", text)
    assert message.startswith(expected)


async def test_a_defect_is_answered_and_logged_without_its_text(
    runner: TaskRunner, caplog: Any
) -> None:
    def broken(app: App, inputs: Any, context: Context) -> Any:
        raise RuntimeError(f"something quoting {inputs['secret']}")

    runner = TaskRunner(runner.transport, tasks={**TASKS, "trigger": ApiTask("trigger", broken)})
    caplog.set_level(logging.DEBUG)
    message = await error_of(runner, "trigger", trigger_inputs(), kind="defect")
    assert message == "internal error in task trigger: RuntimeError"
    assert "task trigger failed unexpectedly: RuntimeError at test_bad_inputs.py:" in caplog.text
    assert SECRET not in caplog.text


@pytest.mark.parametrize(
    "host", ["[::1%\r\nX-Injected: 1]", "[::1%a b]", "[::1%a]@evil.example:8080?]", "[::1%a:1]"]
)
@pytest.mark.parametrize("proxy", [None, "http://proxy.local:3128"])
async def test_an_ipv6_zone_id_cannot_carry_a_request_elsewhere(
    runner: TaskRunner, host: str, proxy: str | None
) -> None:
    message = await error_of(runner, "trigger", trigger_inputs(host=host, proxy=proxy or DROP))
    assert message.startswith("host: an IPv6 zone id (after %) is 1 to 15 letters, digits")
