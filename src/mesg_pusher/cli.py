"""The ``mesg-pusher`` command line. Each subcommand lives beside the part it drives (``execute``
in `tasks`, ``serve`` in `runtime`...; the commands about mesg.yml in ``_definition_cli``); this
module only gathers them, and ``_command_line`` holds what they share. Exit status: 0 success, 1 an
``error`` output or a failure, 2 a usage error."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import _cli_service_dir, _definition_cli, demo, engine, local_server, runtime, tasks
from ._command_line import EXIT_INTERRUPTED
from ._version import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mesg-pusher",
        description="MESG service that publishes realtime events through Pusher Channels.",
    )
    parser.add_argument("--version", action="version", version=f"mesg-pusher {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    demo.add_commands(commands)
    tasks.add_commands(commands)
    _definition_cli.add_commands(commands)
    _cli_service_dir.add_commands(commands)
    local_server.add_commands(commands)
    local_server.add_subscribe_command(commands)
    runtime.add_commands(commands)
    engine.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
