"""Arbitrary inputs through the task runner: one valid output, an error naming an input or in
the engine's words, nothing sent for invalid input, no secret shown in any encoding."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesg_pusher.pusher import Connection, HttpRequest, MockTransport
from mesg_pusher.tasks import TaskRunner
from tests.fuzz.strategies import (
    DEFINITION,
    check_output,
    executions,
    json_values,
    log_lines,
    names_an_input,
    run,
    secret_forms,
    secrets,
    texts,
    valid_inputs,
)


def accept(connection: Connection, request: HttpRequest) -> tuple[int, bytes]:
    return 200, b"{}"


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*strings_in(k), *strings_in(v))]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []


def execute(task: str, inputs: Any, secrets: list[str]) -> tuple[str, list[Any]]:
    transport = MockTransport(accept)
    runner = TaskRunner(transport, definition=DEFINITION)
    with log_lines() as lines:
        text = inputs if isinstance(inputs, str) else json.dumps(inputs)
        output = run(runner.execute(task, text))
    check_output(task, output, secrets, lines)
    if transport.sent:
        # Something went out: it was valid, exactly one request, answered 2xx, so success.
        assert len(transport.sent) == 1
        assert output.key == "success", output
        [(_, request)] = transport.sent
        for secret in secrets:
            assert secret not in request.query
            assert all(secret not in s for s in strings_in(json.loads(request.body)))
    else:
        # Nothing went out: the inputs were refused, and the refusal says which input.
        assert output.key == "error"
        assert names_an_input(task, output.data["error"], inputs), output
    return output.key, transport.sent


@given(executions())
def test_any_inputs_get_exactly_one_valid_answer(
    case: tuple[str, dict[str, Any], list[str]],
) -> None:
    task, inputs, secrets = case
    execute(task, inputs, secrets)


@given(st.sampled_from(sorted(DEFINITION.tasks)), json_values)
def test_any_json_text_as_the_inputs(task: str, value: Any) -> None:
    execute(task, json.dumps(value), [])


@given(st.sampled_from(sorted(DEFINITION.tasks)), texts)
def test_any_text_as_the_inputs(task: str, text: str) -> None:
    execute(task, text, [])


SECRET = "7ad3773142a6692b25b8"
BIG = "x" * 15_000_000


@pytest.mark.parametrize("task", sorted(DEFINITION.tasks))
def test_a_15_mb_string_in_any_input(task: str) -> None:
    # One big value at a time in every declared input (and a batch event's fields): refused
    # (or, where no rule bounds it, sent) once, never a defect.
    keys = [*sorted(DEFINITION.tasks[task].inputs), "extra"]
    for key in keys:
        execute(task, {**valid_inputs(task, SECRET), key: BIG}, [SECRET])
    if task == "triggerBatch":
        for field in ("name", "channel", "data", "socket_id"):
            event = {"name": "e", "channel": "c", "data": "d", field: BIG}
            execute(task, {**valid_inputs(task, SECRET), "batch": [event]}, [SECRET])


# Inputs whose value a refusal quotes (a channel name, a socket id, a task key), and where.
QUOTED = ["channel", "socket_id", "channels", "batch.channel", "batch.socket_id", "taskKey"]


@given(st.sampled_from(QUOTED), st.data())
def test_an_input_holding_a_run_of_a_secret_is_never_quoted_with_it(
    where: str, data: st.DataObject
) -> None:
    secret = data.draw(secrets)
    value = data.draw(secret_forms(secret))
    task = "triggerBatch" if where.startswith("batch.") else "trigger"
    inputs = valid_inputs(task, secret)
    if where == "channels":
        inputs.pop("channel")
        inputs["channels"] = ["ok", value]
    elif where.startswith("batch."):
        inputs["batch"] = [{"name": "e", "channel": "c", "data": "d", where[6:]: value}]
    elif where == "taskKey":
        task = value
    else:
        inputs[where] = value
    execute(task, inputs, [secret])
