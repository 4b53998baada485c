"""``mesg-pusher execute``: one execution of a task, run here without an engine, printed the way
the engine's CLI printed it."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from .._command_line import EXIT_FAILURE, EXIT_OK, UsageError, say, say_json, usage_error
from .._json import loads
from .._logs import configure
from ..mesg import ServiceDefinition, load_packaged
from ..pusher import HttpPool
from ._environment import ServiceEnvironment
from ._outputs import SUCCESS, TaskOutput
from ._runner import TaskRunner


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    execute = commands.add_parser(
        "execute",
        help="run one execution of a task and print its output",
        description=(
            "Run one execution of TASK and print its output the way the MESG engine's CLI did: "
            "'Task <task> returned output <outputKey> with data:' and the data as JSON. "
            "Exit status 0 for the success output, 1 for the error output, 2 for a usage error. "
            "The connection inputs a task does not give are read from the environment, as "
            "serve reads them: PUSHER_APP_ID, PUSHER_APP_KEY, PUSHER_APP_SECRET, PUSHER_URL and "
            "the others (see the README)."
        ),
    )
    execute.add_argument("task", help=f"task key: {', '.join(sorted(load_packaged().tasks))}")
    execute.add_argument(
        "--json",
        dest="json_file",
        metavar="FILE",
        help="read the inputs, a JSON object, from FILE ('-' reads standard input)",
    )
    execute.add_argument(
        "-d",
        "--data",
        dest="data",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=(
            "set one input (repeatable; wins over --json). VALUE is read as mesg.yml types the "
            "input: text for String, a number for Number, true/false for Boolean, JSON for Object"
        ),
    )
    execute.set_defaults(run=_execute)


def _execute(args: argparse.Namespace) -> int:
    definition = load_packaged()
    try:
        inputs = _read_inputs(args.json_file, args.data, definition, args.task)
    except UsageError as error:
        return usage_error("execute", str(error))
    configure("text", "warning")
    output = asyncio.run(_run_once(definition, args.task, inputs))
    say(f"Task {args.task} returned output {output.key} with data:")
    say_json(output.data)
    return EXIT_OK if output.key == SUCCESS else EXIT_FAILURE


async def _run_once(definition: ServiceDefinition, task: str, inputs: dict[str, Any]) -> TaskOutput:
    http = HttpPool()
    try:
        environment = ServiceEnvironment.read(os.environ)
        runner = TaskRunner(http, definition=definition, environment=environment)
        return await runner.execute(task, inputs)
    finally:
        await http.close()


def _read_inputs(
    json_file: str | None, pairs: list[str], definition: ServiceDefinition, task: str
) -> dict[str, Any]:
    inputs: dict[str, Any] = {}
    if json_file is not None:
        try:
            # JSON is UTF-8 (RFC 8259), whatever the terminal's encoding says.
            raw = sys.stdin.buffer.read() if json_file == "-" else Path(json_file).read_bytes()
            text = raw.decode("utf-8")
        except OSError as error:
            raise UsageError(f"--json: cannot read {json_file}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise UsageError(f"--json: {json_file} is not UTF-8 text") from None
        try:
            parsed = loads(text)
        except ValueError as error:
            raise UsageError(f"--json: {json_file} is not valid JSON ({error})") from None
        if not isinstance(parsed, dict):
            raise UsageError(f"--json: {json_file} must hold a JSON object of inputs")
        inputs.update(parsed)
    declared = definition.tasks.get(task)
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"-d: expected KEY=VALUE, got {pair!r}")
        kind = declared.inputs[key].type if declared and key in declared.inputs else "String"
        inputs[key] = _typed(key, raw, kind)
    return inputs


def _typed(key: str, raw: str, kind: str) -> Any:
    """`raw` read as `kind`; a number or a boolean that does not read as one stays text, so the
    task reports the type error in the engine's words. An Object's value is JSON, or a usage
    error quoting what JSON refuses in it."""
    if kind == "String":
        return raw
    if kind == "Boolean":
        return {"true": True, "false": False}.get(raw, raw)
    try:
        value = loads(raw)
    except ValueError as error:
        if kind == "Object":
            raise UsageError(f"-d {key}: not valid JSON ({error})") from None
        return raw
    if kind == "Number":
        return value if isinstance(value, int | float) and not isinstance(value, bool) else raw
    return value
