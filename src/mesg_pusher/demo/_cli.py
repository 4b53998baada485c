"""``mesg-pusher demo``: the whole system, locally, in one command."""

from __future__ import annotations

import argparse
import asyncio

from .._command_line import EXIT_FAILURE, UsageError, fail, port, usage_error
from .._logs import configure
from ..mesg import Release, ReleaseError, release


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser(
        "demo",
        help="run the whole system locally and show events delivered end to end",
        description=(
            "Start a local Pusher server, an engine stand-in, `mesg-pusher serve` (the app's "
            "credentials in its environment) and a subscriber; run trigger and triggerBatch, a "
            "browser-style channel authorization the subscriber joins with, and queries of the "
            "channels and their users through the engine protocol; print each output and each "
            "event the subscriber received; then let a visitor join a presence channel and "
            "print the MESG events serve emits from the local server's webhooks (heard on "
            "ListenEvent); stop everything. No Pusher account "
            "or network needed. Exit status 0 when everything arrived as expected, 1 when "
            "something did not, 2 for a usage error (a port it cannot listen on)."
        ),
    )
    demo.add_argument(
        "--stay",
        action="store_true",
        help=(
            "keep everything running afterwards, to watch the debug console, printing the MESG "
            "events of webhooks as they come (Ctrl-C ends it)"
        ),
    )
    demo.add_argument(
        "--engine",
        type=_release,
        metavar="VERSION",
        help=(
            "run it on the stand-in of that engine release (v0.1 to v0.26, like v0.16 or "
            "v0.26), through that release's protocol; serve finds it as under the engine "
            "(default: the first generation, which the root mesg.yml is written for)"
        ),
    )
    demo.add_argument(
        "--port",
        type=port,
        default=0,
        help="port of the local Pusher server (default: a free one)",
    )
    demo.set_defaults(run=_demo)


def _release(text: str) -> Release:
    """An argparse type: an engine release (``v0.16``, ``v0.18.1``)."""
    try:
        return release(text)
    except ReleaseError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _demo(args: argparse.Namespace) -> int:
    from ._application import DemoFailed  # noqa: PLC0415 - loaded only when the demo runs
    from ._run import run  # noqa: PLC0415

    configure("text", "warning")  # the story goes to standard output; problems only here
    try:
        return asyncio.run(run(port=args.port, stay=args.stay, release=args.engine))
    except UsageError as error:
        return usage_error("demo", str(error))
    except DemoFailed as error:
        return fail("demo", str(error))
    except OSError as error:  # a part that could not start
        return fail("demo", f"cannot start: {error.strerror or error}", EXIT_FAILURE)
