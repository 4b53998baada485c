"""The command line: `execute` prints what the engine's CLI printed, with the documented exit
status, against a real server; `gen-doc` and `validate` work on mesg.yml."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mesg_pusher.local_server import LocalServer, ServerSettings, Subscriber
from mesg_pusher.pusher import App
from tests.support.fake_pusher import FakePusher

pytestmark = pytest.mark.slow

CLI = [sys.executable, "-m", "mesg_pusher.cli"]


async def run_cli(
    *args: str | bytes, stdin: str = "", env: dict[str, str] | None = None, encoding: str = "utf-8"
) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *CLI,
        *args,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(encoding), err.decode(encoding)


def output_of(stdout: str, stderr: str, task: str) -> tuple[str, Any]:
    """The output key, from the header ending standard error, and the data, the JSON that
    standard output holds alone."""
    header = stderr.splitlines()[-1] if stderr else ""
    prefix = f"Task {task} returned output "
    assert header.startswith(prefix), stderr
    assert header.endswith(" with data:"), stderr
    return header[len(prefix) : -len(" with data:")], json.loads(stdout)


@pytest.mark.integration
async def test_execute_trigger_from_stdin_publishes_and_prints_success(
    fake_pusher: FakePusher,
) -> None:
    inputs = {**fake_pusher.inputs(), "channel": "c", "name": "e", "data": {"x": "é"}}
    code, out, err = await run_cli("execute", "trigger", "--json", "-", stdin=json.dumps(inputs))
    assert (code, err) == (0, "Task trigger returned output success with data:\n")
    assert output_of(out, err, "trigger") == ("success", {"message": "sent"})
    assert out == '{\n  "message": "sent"\n}\n'
    assert fake_pusher.received[0].json["data"] == '{"x":"é"}'


@pytest.mark.integration
async def test_execute_trigger_batch_from_a_file_and_typed_data_flags(
    fake_pusher: FakePusher, tmp_path: Path
) -> None:
    path = tmp_path / "inputs.json"
    base = fake_pusher.inputs()
    path.write_text(json.dumps({"appId": base["appId"], "key": base["key"], "secret": "wrong"}))
    code, out, err = await run_cli(
        "execute",
        "triggerBatch",
        "--json",
        str(path),
        "-d",
        f"secret={base['secret']}",
        "-d",
        "host=127.0.0.1",
        "-d",
        f"port={fake_pusher.port}",
        "-d",
        "keepAlive=true",
        "-d",
        'batch=[{"name": "e", "channel": "c", "data": {"k": 1}}]',
    )
    assert code == 0, out
    assert output_of(out, err, "triggerBatch") == ("success", {"message": "sent"})
    assert fake_pusher.received[0].json == {
        "batch": [{"name": "e", "channel": "c", "data": '{"k":1}'}]
    }


async def test_execute_error_output_exits_1_and_hides_the_secret() -> None:
    inputs = {
        "appId": "1",
        "key": "k",
        "secret": "top-secret-value",
        "channel": "bad channel",
        "name": "e",
        "data": {},
    }
    code, out, err = await run_cli("execute", "trigger", "--json", "-", stdin=json.dumps(inputs))
    assert code == 1
    key, data = output_of(out, err, "trigger")
    assert key == "error"
    assert data["error"].startswith('channel: channel name "bad channel"')
    assert "top-secret-value" not in out + err


async def test_a_data_flag_that_does_not_read_as_its_type_is_reported_by_the_task() -> None:
    code, out, err = await run_cli(
        "execute",
        "trigger",
        "-d",
        "appId=1",
        "-d",
        "key=k",
        "-d",
        "secret=a-secret",
        "-d",
        "name=e",
        "-d",
        "channel=c",
        "-d",
        "data={}",
        "-d",
        "port=eighty",
    )
    assert code == 1
    assert output_of(out, err, "trigger") == (
        "error",
        {
            "error": "Inputs of task 'trigger' are invalid. Value of 'port' is not a number",
            "kind": "input",
            "retry": "useless",
        },
    )


async def test_unknown_task_is_an_error_output() -> None:
    code, out, err = await run_cli("execute", "publish", "-d", "appId=1")
    assert code == 1
    assert output_of(out, err, "publish")[0] == "error"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["execute"], "", "the following arguments are required: task"),
        (["execute", "trigger", "--json", "/nonexistent/inputs.json"], "", "cannot read"),
        (["execute", "trigger", "--json", "-"], "{oops", "is not valid JSON"),
        (["execute", "trigger", "--json", "-"], "[]", "must hold a JSON object"),
        (["execute", "trigger", "-d", "novalue"], "", "expected KEY=VALUE"),
        (["execute", "trigger", "-d", "data={bad"], "", "-d data: not valid JSON (Expecting"),
        (["execute", "trigger", "-d", "data=" + "[" * 3000], "", "-d data: not valid JSON ("),
        (["frobnicate"], "", "invalid choice"),
    ],
)
async def test_usage_errors_exit_2(args: list[str], stdin: str, message: str) -> None:
    code, out, err = await run_cli(*args, stdin=stdin)
    assert code == 2
    assert out == ""
    assert message in err


async def test_help_explains_each_option() -> None:
    code, out, _ = await run_cli("execute", "--help")
    assert code == 0
    tasks = "authenticateUser, authorizeChannel, channel, channels, sendToUser, "
    for option in ("--json", "-d KEY=VALUE", tasks, "Exit status 0", "PUSHER_URL"):
        assert option in " ".join(out.split())


async def test_gen_doc_prints_the_rendering_and_validate_accepts_mesg_yml() -> None:
    code, out, _ = await run_cli("gen-doc")
    assert code == 0
    assert out.startswith("# mesg-pusher\n\nMESG Service for [Pusher]")
    code, out, _ = await run_cli("validate", "--packaged")
    assert code == 0
    assert out.endswith(
        "mesg.yml) is valid for v0.1.0 to v0.9.1, the first generation's form: service "
        "mesg-pusher, tasks authenticateUser, authorizeChannel, channel, channels, sendToUser, "
        "terminateUserConnections, trigger, triggerBatch, users\n",
    )


async def test_validate_reports_a_broken_definition(tmp_path: Path) -> None:
    broken = tmp_path / "mesg.yml"
    broken.write_text("name: x\ntasks:\n  t: {}\n")
    code, _, err = await run_cli("validate", "--file", str(broken))
    assert code == 1
    assert err.startswith(f"{broken}: tasks.t.outputs: is required ")
    assert err.endswith(f"{broken} is invalid for v0.1.0 to v0.9.1\n")
    broken.write_text("name: x\ntasks: [\n")  # the YAML reader's message has several lines
    code, _, err = await run_cli("validate", "--file", str(broken))
    assert (code, err.count("\n")) == (1, 1), err
    assert err.startswith(f"{broken} is invalid: ")
    empty = tmp_path / "empty.yml"
    empty.write_text("name: x\ntasks: {}\n")
    code, out, _ = await run_cli("validate", str(empty))
    assert (code, out) == (
        0,
        f"{empty} is valid for v0.1.0 to v0.9.1, the first generation's form: service x, "
        "no tasks\n",
    )


async def test_files_that_are_not_utf8_or_too_deep_are_reported_not_crashed_on(
    tmp_path: Path,
) -> None:
    binary = tmp_path / "inputs.json"
    binary.write_bytes(b"\xff\xfe{")
    code, _, err = await run_cli("execute", "trigger", "--json", str(binary))
    assert (code, err.strip()) == (
        2,
        f"mesg-pusher execute: error: --json: {binary} is not UTF-8 text",
    )
    code, _, err = await run_cli("validate", "--file", str(binary))
    assert (code, err.strip()) == (2, f"mesg-pusher validate: error: {binary} is not UTF-8 text")
    deep = tmp_path / "mesg.yml"
    deep.write_text("a:" + " [" * 3000 + "\n")
    code, _, err = await run_cli("gen-doc", "--file", str(deep))
    assert code == 1
    assert "nested too deeply" in err
    assert "Traceback" not in err


#: Terminals an operator may have, and the encoding of what the command prints on each.
TERMINALS = {
    "inherited": ({}, "utf-8"),
    "strict-utf-8": ({"PYTHONIOENCODING": "utf-8"}, "utf-8"),
    "ascii": ({"PYTHONIOENCODING": "ascii"}, "ascii"),
    "latin-1": ({"PYTHONIOENCODING": "latin-1"}, "latin-1"),
    "LANG=C": ({"LANG": "C", "LC_ALL": "C", "PYTHONIOENCODING": ""}, "utf-8"),
}


@pytest.mark.parametrize("terminal", TERMINALS)
@pytest.mark.parametrize(
    "task",
    [b"t\xffx", "t\u00e2che", "t\u2028\U0001f600"],
    ids=["undecodable-byte", "latin", "line-separator-emoji"],
)
async def test_execute_prints_any_error_message_whatever_the_terminal_encoding(
    terminal: str, task: str | bytes
) -> None:
    """The error output quotes the task name; a name from an undecodable byte reaches Python as
    a lone surrogate. The exit status stays 1 and what is printed is the JSON of the data."""
    env, encoding = TERMINALS[terminal]
    stdin = json.dumps({"appId": "1", "channel": "caf\u00e9"}, ensure_ascii=False)
    code, out, err = await run_cli(
        "execute", task, "--json", "-", stdin=stdin, env=env, encoding=encoding
    )
    assert code == 1, err
    assert "Traceback" not in err
    (header,) = err.splitlines()
    assert header.startswith("Task t")
    assert header.endswith(" returned output error with data:")
    assert os.fsdecode(task) in json.loads(out)["error"]
    assert len(out.splitlines()) == 5  # {, error, kind, retry, }


@pytest.mark.parametrize("terminal", TERMINALS)
async def test_usage_errors_and_gen_doc_print_whatever_the_terminal_encoding(
    terminal: str, tmp_path: Path
) -> None:
    env, encoding = TERMINALS[terminal]
    missing = os.fsencode(tmp_path) + b"/caf\xe9-\xff.json"
    code, out, err = await run_cli(
        "execute", "trigger", "--json", missing, env=env, encoding=encoding
    )
    assert (code, out) == (2, "")
    assert "cannot read" in err
    assert "Traceback" not in err
    described = tmp_path / "mesg.yml"
    described.write_text(
        "name: caf\u00e9\ndescription: \u2603 \U0001f600\n"
        "tasks:\n  t:\n    outputs:\n      ok:\n        data: {}\n",
        encoding="utf-8",
    )
    # The engines from v0.9.0 take printable ASCII only: the refusal quotes what is not.
    code, out, err = await run_cli("gen-doc", "--file", str(described), env=env, encoding=encoding)
    assert (code, out) == (1, "")
    assert err.startswith("mesg-pusher gen-doc: error: mesg.yml: name: printable ASCII only, not ")
    assert "Traceback" not in err
    # Not printable ASCII: from v0.9.0 refused, so checked for v0.8.1, which reads it.
    code, out, err = await run_cli(
        "validate", "--engine", "v0.8.1", str(described), env=env, encoding=encoding
    )
    assert (code, err) == (0, "")
    assert out.startswith(f"{described} is valid for v0.8.1: service caf")
    code, out, err = await run_cli("validate", str(described), env=env, encoding=encoding)
    assert (code, out) == (1, "")
    assert err.endswith(
        f"{described} is invalid for v0.9.0 to v0.9.1; valid for v0.1.0 to v0.8.1\n"
    )


@pytest.mark.integration
async def test_execute_takes_the_credentials_from_the_environment() -> None:
    app = App("7", "cli-key", "cli-secret-4f1e2d3c")
    async with LocalServer(ServerSettings(apps=(app,))) as server:
        env = {"PUSHER_URL": f"http://{app.key}:{app.secret}@127.0.0.1:{server.port}/apps/7"}
        async with await Subscriber.connect(server.ws_url, app.key) as subscriber:
            await subscriber.subscribe("news")
            code, out, err = await run_cli(
                "execute", "channels", "-d", "info=subscription_count", env=env
            )
            assert code == 0
            assert output_of(out, err, "channels") == (
                "success",
                {"channels": {"news": {"subscription_count": 1}}},
            )
            code, out, err = await run_cli(
                "execute", "authorizeChannel", "-d", f"socket_id={subscriber.socket_id}",
                "-d", "channel=private-room", env=env,
            )  # fmt: skip
            assert code == 0
            auth = output_of(out, err, "authorizeChannel")[1]["auth"]
            await subscriber.subscribe("private-room", auth=auth)
    assert app.secret not in out


async def test_execute_names_a_bad_variable_and_a_missing_credential() -> None:
    code, out, err = await run_cli(
        "execute", "trigger", "--json", "-", stdin='{"name": "e", "data": {}, "channel": "c"}',
        env={"PUSHER_PORT": "eighty", "PUSHER_APP_SECRET": "cli-secret-4f1e2d3c"},
    )  # fmt: skip
    assert code == 1
    assert output_of(out, err, "trigger") == (
        "error",
        {
            "error": "PUSHER_PORT: a port is a whole number from 1 to 65535 (in the service's "
            "environment; nothing was sent)",
            "kind": "input",
            "retry": "useless",
        },
    )
    code, out, err = await run_cli(
        "execute", "authenticateUser", "-d", "socket_id=1.2", "-d", 'user_data={"id":"a"}',
        env={"PUSHER_APP_KEY": "k", "PUSHER_APP_SECRET": ""},
    )  # fmt: skip
    assert code == 1
    assert output_of(out, err, "authenticateUser")[1]["error"] == (
        "secret: is required: give the input secret, or set PUSHER_APP_SECRET or PUSHER_URL in "
        "the service's environment"
    )


async def test_gen_definition_prints_the_v06_form_that_validate_checks(repo_root: Path) -> None:
    code, out, _ = await run_cli("gen-definition")
    assert code == 0
    assert out == (repo_root / "mesg-v0.6.yml").read_text("utf-8")
    v06 = str(repo_root / "mesg-v0.6.yml")
    code, out, _ = await run_cli("validate", "--engine", "v0.6", v06)
    assert (code, out.startswith(f"{v06} is valid for v0.6.0: service mesg-pusher")) == (0, True)
    code, out, _ = await run_cli("validate", v06)
    assert (code, out.startswith(f"{v06} is valid for v0.6.0 to v0.9.1, ")) == (0, True)
    code, _, err = await run_cli("validate", "--engine", "v0.5", v06)
    assert code == 1
    assert err == (
        f"{v06}: configuration.env: unknown key here (env is read by v0.6.0 to v0.26.0) (v0.5.0)"
        f"\n{v06} is invalid for v0.5.0\n{v06} is in the first generation's form with "
        "configuration.env, not the one v0.5.0 read: `mesg-pusher service-dir --engine VERSION "
        "OUT` writes a directory in each release's form (`mesg-pusher gen-definition --engine "
        "VERSION`: its mesg.yml)\n"
    )
    code, _, err = await run_cli("validate", "--engine", "v0.55", v06)
    assert code == 2
    assert "argument --engine: 'v0.55' is not a MESG engine release" in err


async def test_gen_definition_reports_what_it_cannot_extend(tmp_path: Path) -> None:
    path = tmp_path / "mesg.yml"
    path.write_text("name: s\nconfiguration: {ports: ['3000']}\n")
    code, _, err = await run_cli("gen-definition", "--file", str(path))
    assert code == 1
    assert "write configuration as a block mapping" in err
    code, _, err = await run_cli("gen-definition", "--file", str(tmp_path / "none.yml"))
    assert code == 2
    assert "cannot read" in err


#: The CLI run with its address space capped at 1 GiB, so that a read without a bound ends in a
#: MemoryError (as it did: /dev/zero took 9 GB in 6 s) instead of taking the machine's memory.
_CAPPED = (
    "import os, resource, sys; "
    "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); "
    "os.execv(sys.executable, [sys.executable, '-m', 'mesg_pusher.cli', *sys.argv[1:]])"
)


@pytest.mark.parametrize("source", ["file", "stdin"])
async def test_execute_reads_no_more_than_serves_input_limit(source: str) -> None:
    from mesg_pusher.mesg import MAX_INPUT_BYTES  # noqa: PLC0415

    name = "/dev/zero" if source == "file" else "-"
    with Path("/dev/zero").open("rb") as zeros:  # noqa: ASYNC230 - opening it does not block
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _CAPPED,
            "execute",
            "trigger",
            "--json",
            name,
            stdin=zeros if source == "stdin" else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
    assert (process.returncode, out) == (2, b"")
    assert err.decode().strip() == (
        f"mesg-pusher execute: error: --json: {name} is larger than {MAX_INPUT_BYTES} bytes, "
        "the most serve takes as an execution's inputs"
    )


async def test_execute_says_an_idempotency_key_is_remembered_by_serve_only() -> None:
    code, _, err = await run_cli(
        "execute", "trigger", "-d", "appId=1", "-d", "key=k", "-d", "secret=a-secret-7f3e",
        "-d", "host=127.0.0.1", "-d", "port=1", "-d", "channel=c", "-d", "name=e",
        "-d", "data=1", "-d", "idempotencyKey=k1", "-d", "retries=0",
    )  # fmt: skip
    assert code == 1  # nothing listens on port 1
    assert err.splitlines()[0] == (
        "mesg-pusher execute: warning: idempotencyKey is remembered by `serve` only: this "
        "process knows no earlier execution with it, and remembers this one for no later one"
    )


async def test_execute_warns_of_inputs_the_task_does_not_declare_and_pipes_its_json() -> None:
    code, out, err = await run_cli(
        "execute", "authorizeChannel", "-d", "key=k", "-d", "secret=a-secret-7f3e",
        "-d", "socket_id=1.2", "-d", "channel=private-a", "-d", "chanel=private-b",
        "-d", "colour=red",
    )  # fmt: skip
    assert code == 0
    assert err.splitlines() == [
        "mesg-pusher execute: warning: task authorizeChannel has no input 'chanel'; it is left "
        "out (did you mean 'channel'?)",
        "mesg-pusher execute: warning: task authorizeChannel has no input 'colour'; it is left out",
        "Task authorizeChannel returned output success with data:",
    ]
    # Standard output is the JSON alone: what reads it from a pipe reads JSON.
    assert list(json.loads(out)) == ["auth"]
    assert out.startswith('{\n  "auth": "k:')
