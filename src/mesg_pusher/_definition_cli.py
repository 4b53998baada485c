"""``mesg-pusher gen-doc`` and ``validate``, the engine CLI's commands about mesg.yml, run here
without an engine; and ``gen-definition``, the definition for engines v0.6+."""

from __future__ import annotations

import argparse
import sys
from typing import Final

from ._command_line import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    definition_text,
    fail,
    read_definition,
    say,
    usage_error,
)
from .mesg import DefinitionError, Engine, render, with_env
from .pusher import ENVIRONMENT_VARIABLES

#: The engine ranges `validate` knows: every engine, and v0.6 on.
ENGINES: Final[tuple[Engine, ...]] = ("v0.1", "v0.6")
#: The repository's copy of the definition for engines v0.6 and later, beside mesg.yml.
V06_DEFINITION: Final = "mesg-v0.6.yml"


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
