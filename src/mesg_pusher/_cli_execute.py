"""``mesg-pusher execute``, ``gen-doc`` and ``validate``: the engine CLI's everyday commands,
run here without an engine; and ``gen-definition``, the definition for engines v0.6+."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any, Final

from ._commands import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    definition_text,
    fail,
    read_definition,
    say,
    say_json,
    usage_error,
)
from ._json import loads
from ._logs import configure
from .mesg import DefinitionError, Engine, ServiceDefinition, load_packaged, render, with_env
from .pusher import ENVIRONMENT_VARIABLES, HttpPool
from .runtime import MAX_INPUT_BYTES
from .tasks import SUCCESS, Output, TaskRunner

#: The engine ranges `validate` knows: every engine, and v0.6 on.
ENGINES: Final[tuple[Engine, ...]] = ("v0.1", "v0.6")
#: The repository's copy of the definition for engines v0.6 and later, beside mesg.yml.
V06_DEFINITION: Final = "mesg-v0.6.yml"


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

    gen_doc = commands.add_parser(
        "gen-doc",
        help="print the README text the engine's gen-doc renders from mesg.yml",
        description="Print the service documentation rendered from mesg.yml (engine v0.2 layout).",
    )
    gen_doc.add_argument(
        "--file", metavar="MESG_YML", help="a mesg.yml other than the packaged one"
    )
    gen_doc.set_defaults(run=_gen_doc)

    check = commands.add_parser(
        "validate",
        help="check a mesg.yml against the engine's format",
        description=(
            "Check mesg.yml against the engine's v0.2 format, which every engine of the "
            "generation reads (--engine v0.6: the format of engines v0.6 and later, which adds "
            "configuration.env); exit 1 when it fails."
        ),
    )
    check.add_argument("--file", metavar="MESG_YML", help="a mesg.yml other than the packaged one")
    check.add_argument(
        "--engine",
        choices=ENGINES,
        default=ENGINES[0],
        help="the oldest engine the file is for (default %(default)s: every engine)",
    )
    check.set_defaults(run=_validate)

    definition = commands.add_parser(
        "gen-definition",
        help=f"print the service definition for MESG engines v0.6 and later ({V06_DEFINITION})",
        description=(
            "Print mesg.yml with the service's PUSHER_* variables declared under "
            "configuration.env, the form MESG engines v0.6 and later need to take them from "
            "`mesg-core service deploy --env KEY=VALUE` (the engines before v0.6 refuse it). "
            f"`mesg-pusher gen-definition > {V06_DEFINITION}` refreshes the repository's copy."
        ),
    )
    definition.add_argument(
        "--file", metavar="MESG_YML", help="a mesg.yml other than the packaged one"
    )
    definition.set_defaults(run=_gen_definition)


def _gen_doc(args: argparse.Namespace) -> int:
    try:
        say(render(read_definition(args.file)).removesuffix("\n"), kind="document")
    except UsageError as error:
        return usage_error("gen-doc", str(error))
    except DefinitionError as error:
        return fail("gen-doc", str(error))
    return EXIT_OK


def _gen_definition(args: argparse.Namespace) -> int:
    try:
        text = with_env(definition_text(args.file), ENVIRONMENT_VARIABLES)
    except UsageError as error:
        return usage_error("gen-definition", str(error))
    except (DefinitionError, RecursionError, ValueError) as error:
        message = "mesg.yml is nested too deeply" if isinstance(error, RecursionError) else error
        return fail("gen-definition", str(message))
    say(text.removesuffix("\n"), kind="document")
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    name = args.file or "mesg.yml"
    try:
        definition = read_definition(args.file, engine=args.engine)
    except UsageError as error:
        return usage_error("validate", str(error))
    except DefinitionError as error:
        # One line, as every error is (the YAML reader's messages span several).
        say(f"{name} is invalid: {' '.join(str(error).split())}", stream=sys.stderr)
        return EXIT_FAILURE
    tasks = f"tasks {', '.join(sorted(definition.tasks))}" if definition.tasks else "no tasks"
    say(f"{name} is valid: service {definition.name}, {tasks}")
    return EXIT_OK


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


async def _run_once(definition: ServiceDefinition, task: str, inputs: dict[str, Any]) -> Output:
    http = HttpPool()
    try:
        runner = TaskRunner(http, definition=definition, environ=os.environ)
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
            text = _read_bounded(json_file, MAX_INPUT_BYTES).decode("utf-8")
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


def _read_bounded(json_file: str, limit: int) -> bytes:
    """The bytes of `json_file` ('-': standard input), at most `limit` of them: serve refuses
    larger inputs, and a file without end (/dev/zero) is read no further than one byte past."""
    if json_file == "-":
        raw = sys.stdin.buffer.read(limit + 1)
    else:
        with Path(json_file).open("rb") as file:
            raw = file.read(limit + 1)
    if len(raw) > limit:
        raise UsageError(
            f"--json: {json_file} is larger than {limit} bytes, the most serve takes as an "
            "execution's inputs"
        )
    return raw


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
