"""Credentials from the service's environment, as the runner reads them once: an input wins,
then its variable, then PUSHER_URL; a missing credential names both; a bad variable answers
every execution naming it; and the environment's secrets are hidden and refused like an
execution's own."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest

from mesg_pusher.pusher import Connection, HttpRequest, MockTransport
from mesg_pusher.tasks import ServiceEnvironment, TaskOutput, TaskRunner
from tests.tasks.conftest import DROP, SECRET, accept, inputs_for, sent_by, trigger_inputs

ENV_SECRET = "env-secret-5b8f0c1d2e3a"
MASTER_KEY = base64.b64encode(bytes(range(100, 132))).decode()
ENVIRON = {
    "PUSHER_APP_ID": "77",
    "PUSHER_APP_KEY": "env-key",
    "PUSHER_APP_SECRET": ENV_SECRET,
    "PUSHER_HOST": "127.0.0.1",
    "PUSHER_PORT": "6001",
    "PUSHER_ENCRYPTION_MASTER_KEY_BASE64": MASTER_KEY,
}


def runner_with(environ: dict[str, str], transport: MockTransport | None = None) -> TaskRunner:
    return TaskRunner(
        transport or MockTransport(accept), environment=ServiceEnvironment.read(environ)
    )


def without_credentials(task: str = "trigger", **changes: Any) -> dict[str, Any]:
    base = trigger_inputs() if task == "trigger" else inputs_for(task)
    dropped = {"appId": DROP, "key": DROP, "secret": DROP, "host": DROP, "port": DROP}
    merged = {**base, **dropped, **changes}
    return {k: v for k, v in merged.items() if v is not DROP}


async def test_an_execution_without_credentials_takes_the_environments() -> None:
    runner = runner_with(ENVIRON)
    assert await runner.execute("trigger", without_credentials()) == TaskOutput.success()
    [(connection, request)] = sent_by(runner)
    assert connection == Connection.create(host="127.0.0.1", port=6001)
    assert request.path == "/apps/77/events"
    assert "auth_key=env-key&" in request.query


async def test_an_input_wins_over_its_variable_which_wins_over_the_url() -> None:
    environ = {
        "PUSHER_APP_KEY": "variable-key",
        "PUSHER_URL": "http://url-key:url-secret-0123@10.0.0.9:8080/apps/55",
    }
    runner = runner_with(environ)
    output = await runner.execute("trigger", without_credentials(key="input-key"))
    assert output.key == "success", output
    [(connection, request)] = sent_by(runner)
    assert "auth_key=input-key&" in request.query
    assert request.path == "/apps/55/events"
    assert (connection.host, connection.port) == ("10.0.0.9", 8080)
    runner = runner_with(environ)
    await runner.execute("trigger", without_credentials())
    assert "auth_key=variable-key&" in sent_by(runner)[0][1].query


@pytest.mark.slow
@pytest.mark.parametrize(
    "task", ["trigger", "channels", "users", "sendToUser", "authorizeChannel", "authenticateUser"]
)
async def test_every_task_takes_the_environments_defaults(task: str) -> None:
    runner = runner_with(ENVIRON)
    output = await runner.execute(task, without_credentials(task))
    if task in ("channels", "users"):
        assert output.key == "error"  # the mock's "{}" is not their answer; it was sent
        assert "Pusher's answer to the" in output.data["error"]
        assert len(sent_by(runner)) == 1
    else:
        assert output.key == "success", output
    if task.startswith("auth"):
        assert output.data["auth"].startswith("env-key:")


async def test_the_master_key_from_the_environment_seals_and_authorizes() -> None:
    runner = runner_with(ENVIRON)
    channel = "private-encrypted-room"
    output = await runner.execute("trigger", without_credentials(channel=channel))
    assert output.key == "success", output
    data = json.loads(json.loads(sent_by(runner)[0][1].body)["data"])
    assert set(data) == {"nonce", "ciphertext"}
    output = await runner.execute(
        "authorizeChannel", without_credentials("authorizeChannel", channel=channel)
    )
    assert set(output.data) == {"auth", "shared_secret"}


@pytest.mark.parametrize(
    ("task", "missing", "variables"),
    [
        ("trigger", "appId", "PUSHER_APP_ID or PUSHER_URL"),
        ("users", "secret", "PUSHER_APP_SECRET or PUSHER_URL"),
        ("authenticateUser", "key", "PUSHER_APP_KEY or PUSHER_URL"),
    ],
)
async def test_neither_input_nor_variable_names_both(
    task: str, missing: str, variables: str
) -> None:
    variable = {"appId": "PUSHER_APP_ID", "secret": "PUSHER_APP_SECRET", "key": "PUSHER_APP_KEY"}
    environ = {k: v for k, v in ENVIRON.items() if k != variable[missing]}
    runner = runner_with(environ)
    output = await runner.execute(task, without_credentials(task))
    assert output == TaskOutput(
        "error",
        {
            "error": f"{missing}: is required: give the input {missing}, or set {variables} in "
            "the service's environment",
            "kind": "input",
            "retry": "useless",
        },
    )
    assert sent_by(runner) == []


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("PUSHER_PORT", "eighty", "PUSHER_PORT: a port is a whole number from 1 to 65535"),
        ("PUSHER_URL", f"ftp://k:{SECRET}@h/apps/1", "PUSHER_URL: a Pusher URL looks like"),
        ("PUSHER_ENCRYPTION_MASTER_KEY_BASE64", "short", "PUSHER_ENCRYPTION_MASTER_KEY_BASE64: an"),
        ("PUSHER_APP_SECRET", "\ud800secret-value", "PUSHER_APP_SECRET: an app secret must be"),
    ],
)
async def test_a_bad_variable_answers_every_execution_naming_it(
    caplog: Any, variable: str, value: str, expected: str
) -> None:
    caplog.set_level(logging.DEBUG)
    runner = runner_with({**ENVIRON, variable: value})
    assert runner.environment_error is not None
    [record] = [r for r in caplog.records if "the service's environment is invalid" in r.message]
    assert record.levelname == "WARNING"
    for task in ("trigger", "authenticateUser"):
        output = await runner.execute(
            task, trigger_inputs() if task == "trigger" else inputs_for(task)
        )
        assert output.key == "error"
        assert output.data["error"].startswith(expected)
        assert output.data["error"].endswith("(in the service's environment; nothing was sent)")
    assert sent_by(runner) == []
    assert SECRET not in caplog.text
    assert "secret-value" not in caplog.text


@pytest.mark.slow
async def test_the_environments_secrets_are_every_executions() -> None:
    runner = runner_with({**ENVIRON, "PUSHER_PROXY": "http://alice:pr0xy-pa55word@proxy:3128"})
    assert set(runner.environment_secrets) >= {ENV_SECRET, MASTER_KEY, "pr0xy-pa55word"}
    found = runner.secrets_of({"secret": SECRET})
    assert found[0] == SECRET
    assert set(found) >= {ENV_SECRET, MASTER_KEY, "pr0xy-pa55word", SECRET}
    assert runner_with({}).secrets_of({"secret": SECRET}) == [SECRET]


@pytest.mark.parametrize("held", [ENV_SECRET, MASTER_KEY])
async def test_no_input_may_hold_a_secret_of_the_environment(held: str) -> None:
    runner = runner_with(ENVIRON)
    output = await runner.execute("trigger", without_credentials(data={"note": held}))
    assert output.data["error"].startswith("data.note: holds the app secret, the proxy password")
    # Even when the execution brings credentials of its own.
    output = await runner.execute("trigger", trigger_inputs(name=f"e-{held}"))
    assert output.data["error"].startswith("name: holds the app secret")
    assert sent_by(runner) == []


async def test_a_server_echoing_the_environments_secret_never_gets_it_shown() -> None:
    def echo(connection: Connection, request: HttpRequest) -> tuple[int, bytes]:
        return 401, f"no app with secret {ENV_SECRET} or key {MASTER_KEY}".encode()

    runner = runner_with(ENVIRON, MockTransport(echo))
    output = await runner.execute("trigger", without_credentials())
    assert output.data["error"].startswith("Pusher answered 401 Unauthorized: no app with secret ")
    assert ENV_SECRET[:8] not in output.json()
    assert MASTER_KEY[:8] not in output.json()


async def test_without_an_environment_nothing_is_filled_in(runner: TaskRunner) -> None:
    output = await runner.execute("trigger", without_credentials())
    assert output.data["error"].startswith("appId: is required")
    assert runner.environment_secrets == ()


SAME = "same-key-and-secret-0123"


@pytest.mark.parametrize("task", ["trigger", "authorizeChannel"])
async def test_an_app_key_equal_to_its_secret_is_an_error_naming_the_rule(task: str) -> None:
    environ = {**ENVIRON, "PUSHER_APP_KEY": SAME, "PUSHER_APP_SECRET": SAME}
    runner = runner_with(environ)
    output = await runner.execute(task, without_credentials(task))
    assert output.key == "error"
    assert output.data["error"].startswith("PUSHER_APP_SECRET: is the same as the app key")
    assert SAME not in json.dumps(output.data)
    assert sent_by(runner) == []
    given = without_credentials(task, key=SAME, secret=SAME)
    output = await runner_with({}).execute(task, given)
    assert output.key == "error"
    assert SAME not in json.dumps(output.data)


WEBHOOK_SECRET = "staging-secret-9a8b7c6d"


def test_further_webhook_apps_are_read_with_their_secrets_hidden() -> None:
    environment = ServiceEnvironment.read(
        {
            **ENVIRON,
            "PUSHER_WEBHOOK_APPS": f" staging-key:{WEBHOOK_SECRET} , rotated:a:b:c-d-e-f-g,"
            f"staging-key:{WEBHOOK_SECRET},",
        }
    )
    assert environment.webhook_problem is None
    assert environment.webhook_apps == (
        ("staging-key", WEBHOOK_SECRET),
        ("rotated", "a:b:c-d-e-f-g"),
    )
    assert {WEBHOOK_SECRET, "a:b:c-d-e-f-g", ENV_SECRET} <= set(environment.secrets)
    assert WEBHOOK_SECRET not in repr(environment)
    assert environment.error is None  # the tasks are not concerned


async def test_a_webhook_apps_secret_is_hidden_and_refused_in_executions() -> None:
    runner = runner_with({**ENVIRON, "PUSHER_WEBHOOK_APPS": f"staging-key:{WEBHOOK_SECRET}"})
    output = await runner.execute("trigger", trigger_inputs(data={"leak": WEBHOOK_SECRET}))
    assert output.key == "error"
    assert output.data["error"].startswith("data.leak: holds the app secret")


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("just-a-key", "entry 1 is not KEY:SECRET"),
        ("k:s3cret-1,second", "entry 2 is not KEY:SECRET"),
        (":a-secret-value", "entry 1: an app key must not be empty"),
        ("k:", "entry 1: an app secret must not be empty"),
        ("a b:secret-value-1", "entry 1: an app key uses only letters, digits and . _ ~ -"),
        ("same-value:same-value", "entry 1: its secret is the same as the app key"),
    ],
)
def test_a_broken_webhook_apps_variable_names_the_entry_never_its_text(
    value: str, rule: str
) -> None:
    environment = ServiceEnvironment.read({**ENVIRON, "PUSHER_WEBHOOK_APPS": value})
    problem = environment.webhook_problem
    assert problem is not None
    assert problem.input == "PUSHER_WEBHOOK_APPS"
    assert problem.rule.startswith(rule)
    assert problem.rule.endswith("(a comma list of KEY:SECRET)")
    for piece in value.split(","):
        if len(piece) > 3:
            assert piece not in str(problem)
    assert environment.webhook_apps == ()
    assert environment.error is None
    # Whatever it holds that could be a secret is hidden all the same.
    if value == "k:s3cret-1,second":
        assert "s3cret-1" in environment.secrets
