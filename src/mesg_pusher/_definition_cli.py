"""``mesg-pusher gen-doc`` and ``validate``, the engine CLI's commands about mesg.yml, run here
without an engine; and ``gen-definition``, the definition each engine release reads."""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path
from typing import Final

from ._cli_service_dir import add_price_argument, engine_releases
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
from .mesg import (
    FORM_NAMES,
    FORMS,
    DefinitionError,
    check_tree,
    definition_for,
    detect_form,
    grouped,
    packaged_text,
    parse_tree,
    releases,
    render,
    spans,
)
from .runtime import DEPLOYED_VARIABLES

#: The repository's copy of the definition for engines v0.6 to v0.9, beside mesg.yml.
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
        help="check a mesg.yml with the rules of each MESG engine release",
        description=(
            "Check FILE (default: mesg.yml in the current directory; --packaged: the one this "
            "package ships) with the rules of the MESG engine release VERSION's importer or "
            "compiler: key patterns, the keys each level takes, types, sid, "
            "configuration.env. Without --engine it checks every release the file's form is "
            "for: the first generation's (v0.1.0 to v0.9.1), with configuration.env (v0.6.0 to "
            "v0.9.1), v0.10's and later (v0.10.0 to v0.25.1), or v0.26's (with task prices). It "
            "names the file it read, and each problem with its key path, rule and releases; what "
            "a release's compiler drops without a word is a warning. Exit 0 when every release "
            "checked accepts the file, 1 when one refuses it, 2 for a usage error."
        ),
    )
    check.add_argument("file", nargs="?", metavar="FILE", help="the mesg.yml to check")
    check.add_argument("--file", dest="file_option", metavar="FILE", help="the same as FILE")
    check.add_argument(
        "--packaged", action="store_true", help="check the mesg.yml this package ships"
    )
    check.add_argument(
        "--engine",
        type=engine_releases,
        metavar="VERSION",
        help="a release (like v0.2.0, v0.16) or a series (v0.18) to check for",
    )
    check.set_defaults(run=_validate)

    definition = commands.add_parser(
        "gen-definition",
        help="print the service definition a MESG engine release deploys",
        description=(
            "Print the service definition for MESG engine VERSION, made from mesg.yml: "
            "mesg.yml itself (v0.1 to v0.5), with the service's PUSHER_* variables declared "
            "under configuration.env (v0.6 to v0.9, the default; `mesg-pusher gen-definition > "
            f"{V06_DEFINITION}` refreshes the repository's copy), or in the form of v0.10 and "
            "later (one output per task, typed parameters, sid com.mesg.pusher; v0.26 adds "
            "task prices). `mesg-pusher service-dir` writes it with the Dockerfile and the code."
        ),
    )
    definition.add_argument(
        "--file", metavar="MESG_YML", help="a mesg.yml other than the packaged one"
    )
    definition.add_argument(
        "--engine",
        type=engine_releases,
        default=releases("v0.6"),
        metavar="VERSION",
        help="the release, like v0.2.0 or v0.16 (default: v0.6, the form of v0.6 to v0.9)",
    )
    add_price_argument(definition)
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
        text = definition_for(
            args.engine, definition_text(args.file), DEPLOYED_VARIABLES, price=args.price
        )
    except UsageError as error:
        return usage_error("gen-definition", str(error))
    except DefinitionError as error:
        return fail("gen-definition", str(error))
    except RecursionError:
        return fail("gen-definition", "mesg.yml is nested too deeply")
    except ValueError as error:  # a price for a release without prices
        return usage_error("gen-definition", str(error))
    say(text.removesuffix("\n"), kind="document")
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    try:
        name, text = _definition_to_check(args)
        tree = parse_tree(text)
    except UsageError as error:
        return usage_error("validate", str(error))
    except DefinitionError as error:
        say(f"{name} is invalid: {' '.join(str(error).split())}", stream=sys.stderr)
        return EXIT_FAILURE
    form = detect_form(tree)
    chosen = args.engine or FORMS[form]
    verdicts = [check_tree(tree, release) for release in chosen]
    for finding, where in grouped(verdicts, warnings=True):
        say(f"{name}: warning: {finding} ({where})", stream=sys.stderr)
    for finding, where in grouped(verdicts):
        say(f"{name}: {finding} ({where})", stream=sys.stderr)
    refused = [v.release for v in verdicts if not v.valid]
    accepted = [v.release for v in verdicts if v.valid]
    checked = spans(chosen) if args.engine else f"{spans(chosen)}, {FORM_NAMES[form]}"
    if refused:
        also = f"; valid for {spans(accepted)}" if accepted else ""
        say(f"{name} is invalid for {spans(refused)}{also}", stream=sys.stderr)
        elsewhere = [release for release in refused if release not in FORMS[form]]
        if elsewhere:
            say(
                f"{name} is in {FORM_NAMES[form]}, not the one {spans(elsewhere)} read: "
                "`mesg-pusher service-dir --engine VERSION OUT` writes a directory in each "
                "release's form (`mesg-pusher gen-definition --engine VERSION`: its mesg.yml)",
                stream=sys.stderr,
            )
        return EXIT_FAILURE
    tasks = tree.get("tasks") if isinstance(tree, dict) else None
    keys = ", ".join(sorted(map(str, tasks))) if isinstance(tasks, dict) and tasks else ""
    say(
        f"{name} is valid for {checked}: service {tree['name']}, "
        + (f"tasks {keys}" if keys else "no tasks")
    )
    return EXIT_OK


def _definition_to_check(args: argparse.Namespace) -> tuple[str, str]:
    """How `validate` names the file it reads, and its text."""
    given = [f for f in (args.file, args.file_option) if f is not None]
    if len(given) > 1 or (given and args.packaged):
        raise UsageError("give one file: FILE, --file or --packaged")
    if args.packaged:
        packaged = resources.files("mesg_pusher").joinpath("mesg.yml")
        return f"the packaged mesg.yml ({packaged})", packaged_text()
    if not given and not Path("mesg.yml").exists():
        raise UsageError(
            "no mesg.yml in the current directory: give FILE, or --packaged for the one this "
            "package ships"
        )
    path: str = given[0] if given else "mesg.yml"
    return path, definition_text(path)
