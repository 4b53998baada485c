"""Arbitrary inputs through the task runner: one valid output, an error naming an input or in
the engine's words, nothing sent for invalid input, no secret shown in any encoding."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesg_pusher.pusher import MockTransport
from mesg_pusher.tasks import ServiceEnvironment, TaskRunner
from mesg_pusher.tasks._secret_inputs import MASTER_KEY_INPUT
from tests.fuzz.strategies import (
    DEFINITION,
    KEY,
    LOCAL_TASKS,
    Execution,
    check_output,
    executions,
    json_values,
    log_lines,
    master_keys,
    names_an_input,
    pusher_answer,
    run,
    secret_forms,
    secret_forms_of_all,
    secrets,
    strings_in,
    texts,
    valid_inputs,
)

pytestmark = pytest.mark.slow


def execute(
    task: str, inputs: Any, secrets: list[str], environ: dict[str, str] | None = None
) -> tuple[str, list[Any]]:
    transport = MockTransport(pusher_answer)
    runner = TaskRunner(
        transport, definition=DEFINITION, environment=ServiceEnvironment.read(environ or {})
    )
    with log_lines() as lines:
        text = inputs if isinstance(inputs, str) else json.dumps(inputs)
        output = run(runner.execute(task, text))
    check_output(task, output, secrets, lines)
    if transport.sent:
        # Something went out: it was valid, exactly one request (several only when split),
        # answered 2xx, so success.
        split = isinstance(inputs, dict) and inputs.get("split") is True
        assert len(transport.sent) == 1 or split
        assert output.key == "success", output
        for _, request in transport.sent:
            for secret in secrets:
                assert secret not in request.query
                if request.body:
                    assert all(secret not in s for s in strings_in(json.loads(request.body)))
    elif task in LOCAL_TASKS and output.key == "success":
        # Answered here: a signature for the browser, with the key and never the secret.
        assert output.data["auth"].startswith(f"{inputs.get('key') or KEY}:")
    else:
        # Nothing went out: the inputs were refused, and the refusal says which input.
        assert output.key == "error"
        assert names_an_input(task, output.data["error"], inputs), output
    return output.key, transport.sent


@given(executions())
def test_any_inputs_get_exactly_one_valid_answer(case: Execution) -> None:
    execute(case.task, case.inputs, case.secrets, case.environ)


@given(st.sampled_from(sorted(DEFINITION.tasks)), json_values)
def test_any_json_text_as_the_inputs(task: str, value: Any) -> None:
    execute(task, json.dumps(value), [])


@given(st.sampled_from(sorted(DEFINITION.tasks)), texts)
def test_any_text_as_the_inputs(task: str, text: str) -> None:
    execute(task, text, [])


SECRET = "7ad3773142a6692b25b8"
BIG = "x" * 15_000_000
#: Objects holding a big string, where the inputs are objects.
BIG_OBJECTS: dict[str, dict[str, Any]] = {
    "channels": {"params": {"filter_by_prefix": BIG}},
    "channel": {"params": {"info": BIG}},
    "authorizeChannel": {"channel_data": {"user_id": "ada", "user_info": BIG}},
    "authenticateUser": {"user_data": {"id": BIG}},
}


@pytest.mark.parametrize("task", sorted(DEFINITION.tasks))
def test_a_15_mb_string_in_any_input(task: str) -> None:
    # One big value at a time in every declared input (and a batch event's fields): refused
    # (or, where no rule bounds it, sent) once, never a defect.
    keys = [*sorted(DEFINITION.tasks[task].inputs), "extra"]
    if task in LOCAL_TASKS:
        # No rule bounds an app key, and a signature's answer starts with it: judging 15 MB of
        # it shown is slow and proves nothing the small cases do not.
        keys.remove("key")
    for key in keys:
        execute(task, {**valid_inputs(task, SECRET), key: BIG}, [SECRET])
    for key, value in BIG_OBJECTS.get(task, {}).items():
        execute(task, {**valid_inputs(task, SECRET), key: value}, [SECRET])
    if task == "triggerBatch":
        for field in ("name", "channel", "data", "socket_id", "info"):
            event = {"name": "e", "channel": "c", "data": "d", field: BIG}
            execute(task, {**valid_inputs(task, SECRET), "batch": [event]}, [SECRET])


# Inputs whose value a refusal quotes (a channel name, a socket id, a user id, a task key, a
# query's words), by task, and where.
QUOTED = [
    ("trigger", "channel"),
    ("trigger", "socket_id"),
    ("trigger", "channels"),
    ("trigger", "info"),
    ("triggerBatch", "batch.channel"),
    ("triggerBatch", "batch.socket_id"),
    ("triggerBatch", "batch.info"),
    ("trigger", "taskKey"),
    ("channels", "filter_by_prefix"),
    ("channels", "info"),
    ("channels", "params.key"),
    ("channels", "params.info"),
    ("channel", "channel"),
    ("users", "channel"),
    ("sendToUser", "userId"),
    ("terminateUserConnections", "userId"),
    ("authorizeChannel", "channel"),
    ("authorizeChannel", "socket_id"),
    ("authenticateUser", "user_data.id"),
]


@given(st.sampled_from(QUOTED), st.booleans(), st.data())
def test_an_input_holding_a_run_of_a_secret_is_never_quoted_with_it(
    where: tuple[str, str], from_environment: bool, data: st.DataObject
) -> None:
    task, name = where
    secret = data.draw(secrets)
    key = data.draw(master_keys)
    # The secret to show: the app secret or the master key, from the inputs or the environment.
    shown = data.draw(st.sampled_from([secret, key]))
    value = data.draw(secret_forms(shown))
    inputs = valid_inputs(task, secret)
    inputs[MASTER_KEY_INPUT] = key
    environ: dict[str, str] = {}
    if from_environment:
        environ["PUSHER_ENCRYPTION_MASTER_KEY_BASE64"] = inputs.pop(MASTER_KEY_INPUT)
    if name == "channels":
        inputs.pop("channel")
        inputs["channels"] = ["ok", value]
    elif name.startswith("batch."):
        inputs["batch"] = [{"name": "e", "channel": "c", "data": "d", name[6:]: value}]
    elif name == "params.key":
        inputs["params"] = {value: "x"}
    elif name.startswith(("params.", "user_data.")):
        outer, _, inner = name.partition(".")
        inputs[outer] = {**inputs.get(outer, {}), inner: value}
    elif name == "taskKey":
        task = value
    else:
        inputs[name] = value
    execute(task, inputs, [s for s in (secret, key) for s in secret_forms_of_all(s)], environ)
