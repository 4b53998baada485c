"""``mesg-pusher execute``: one execution of a task, run here without an engine, printed the way
the engine's CLI printed it: the header on standard error and the output's data, as JSON, alone
on standard output, so that it can be piped. Inputs the task does not declare are left out by
the task; each is warned about on standard error."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any, Final

from .._command_line import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    read_inputs,
    say,
    say_json,
    undeclared,
    usage_error,
)
from .._logs import configure
from ..mesg import ServiceDefinition, load_packaged
from ..pusher import HttpPool
from ._environment import ServiceEnvironment
from ._inputs import IDEMPOTENCY_KEY
from ._outputs import SUCCESS, TaskOutput
from ._runner import TaskRunner


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    execute = commands.add_parser(
        "execute",
        help="run one execution of a task and print its output",
        description=(
            "Run one execution of TASK and print its output the way the MESG engine's CLI did: "
            "'Task <task> returned output <outputKey> with data:' on standard error, and the "
            "data as JSON alone on standard output (so it can be piped); an input the task does "
            "not declare is warned about on standard error. "
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


#: What `execute` says of an idempotency key: only `serve` keeps a memory of keys.
KEY_NOT_REMEMBERED: Final = (
    f"{IDEMPOTENCY_KEY} is remembered by `serve` only: this process knows no earlier "
    "execution with it, and remembers this one for no later one"
)


def _execute(args: argparse.Namespace) -> int:
    definition = load_packaged()
    try:
        task = definition.tasks.get(args.task)
        kinds = {key: p.type for key, p in task.inputs.items()} if task else {}
        inputs = read_inputs(args.json_file, args.data, kinds)
    except UsageError as error:
        return usage_error("execute", str(error))
    if task is not None:
        for warning in undeclared(args.task, inputs, task.inputs):
            say(f"mesg-pusher execute: warning: {warning}", stream=sys.stderr)
        if IDEMPOTENCY_KEY in inputs and IDEMPOTENCY_KEY in task.inputs:
            say(f"mesg-pusher execute: warning: {KEY_NOT_REMEMBERED}", stream=sys.stderr)
    configure("text", "warning")
    output = asyncio.run(_run_once(definition, args.task, inputs))
    say(f"Task {args.task} returned output {output.key} with data:", stream=sys.stderr)
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
