"""``mesg-pusher engine``: the engine stand-in on its own, for trying the service locally, in the
protocol of the release ``--protocol`` names (default: the first generation, v0.2.0's texts).

It prints the variables the engine would give the service (what ``mesg-pusher serve`` needs),
then serves until SIGINT or SIGTERM, logging executions and results to standard error. Its
``execute`` and ``listen`` subcommands (`_terminal`) are an application of an engine.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Final

from .._command_line import (
    EXIT_OK,
    UsageError,
    port,
    say,
    stop_on_signals,
    usage_error,
)
from .._logs import configure
from ..mesg import DefinitionError, ServiceDefinition
from . import _terminal
from ._arguments import protocol, read_service

if TYPE_CHECKING:
    from ..mesg.protocol import Release
    from ._schema import ServiceSchema

log = logging.getLogger("mesg_pusher.engine")
#: ``--id-shape`` values: the engine version whose execution ids the stand-in makes.
ID_SHAPES: Final = {"v0.2": "JOINED", "v0.4": "DIGEST"}
#: The longest block ``--block-ms`` takes (a minute).
MAX_BLOCK_MS: Final = 60_000


def block_ms(text: str) -> int:
    number = int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else -1
    if not 1 <= number <= MAX_BLOCK_MS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a block time (1 to {MAX_BLOCK_MS} ms)")
    return number


def env_entry(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key or not (key[0].isalpha() and key.replace("_", "a").isalnum()):
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE (KEY: a variable name)")
    return key, value


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    engine = commands.add_parser(
        "engine",
        help="run a local stand-in of the MESG engine, of any release, for this service",
        description=(
            "Run a stand-in of the MESG engine's gRPC API on 127.0.0.1, speaking the protocol "
            "of the release --protocol names (v0.1 to v0.26; default: the first generation "
            "with v0.2.0's texts). It prints the variables the engine gives a service "
            "(MESG_ENDPOINT_TCP and MESG_TOKEN in the first generation; MESG_RUNNER_HASH, "
            "MESG_REGISTER_SIGNATURE and the others later), then serves until SIGINT or "
            "SIGTERM (a second one exits at once). Applications reach it as they reached that "
            "release (api.Core up to v0.10, the Execution and Event APIs later); `mesg-pusher "
            "engine execute` and `engine listen` are one. Exit status 0 when stopped by a "
            "signal, 2 for a usage error (a mesg.yml it cannot use, an address it cannot listen "
            "on, an option the release does not have)."
        ),
    )
    engine.add_argument(
        "--protocol",
        type=protocol,
        metavar="VERSION",
        help="the engine release to speak, like v0.2, v0.10, v0.16, v0.20 or v0.26 (a line "
        "without a patch number is its newest release)",
    )
    engine.add_argument(
        "--port", type=port, default=0, help="TCP port on 127.0.0.1 (default: a free one)"
    )
    engine.add_argument(
        "--unix-socket", metavar="PATH", help="listen on this unix socket instead of TCP"
    )
    engine.add_argument(
        "--token", help="the service token, up to v0.10 (default: a random one, v0.10 a hash)"
    )
    engine.add_argument(
        "--file",
        metavar="MESG_YML",
        help="a mesg.yml other than the packaged one (from v0.10 in either form)",
    )
    engine.add_argument(
        "--ready-header",
        action="store_true",
        help="send the 'status: ready' header on ListenTask, as engines from v0.7 do (first "
        "generation; on by itself with --protocol v0.7 or later)",
    )
    engine.add_argument(
        "--id-shape",
        choices=sorted(ID_SHAPES),
        help=(
            "the execution ids made (first generation): v0.2 joins the creation time, service "
            "name, task key and inputs (every input, the secret included, as the v0.1-v0.3 "
            "engines did); v0.4 is a 40-hex digest, as from v0.4 on (default: v0.4, or as the "
            "--protocol release does)"
        ),
    )
    engine.add_argument(
        "--env",
        type=env_entry,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a variable of the service's customised environment, part of its instance "
        "(from v0.11; repeatable)",
    )
    engine.add_argument(
        "--block-ms",
        type=block_ms,
        metavar="MS",
        help="the chain's block time from v0.17: results and new executions take effect when "
        "the next block commits (default: 1000 up to v0.18.0, 5000 from v0.18.1)",
    )
    engine.add_argument(
        "--identity",
        metavar="FILE",
        help="the engine's key, kept in FILE (made when missing), from v0.17: the same key "
        "gives the same runner hash and registration signature after a restart, and signs "
        "v0.21+ application calls for `engine execute`/`listen --identity FILE`",
    )
    engine.set_defaults(run=_run)
    _terminal.add_commands(engine.add_subparsers(dest="action", metavar="{execute,listen}"))


def _run(args: argparse.Namespace) -> int:
    try:
        chosen: Release | None = args.protocol
        _check_options(args, chosen)
        # The stand-in serves what the definition declares: one it cannot use is a usage error.
        definition = read_service(args.file, chosen)
    except (UsageError, DefinitionError) as error:
        return usage_error("engine", str(error))
    configure("text", "info")
    try:
        return asyncio.run(_serve(args, definition))
    except UsageError as error:
        return usage_error("engine", str(error))


def _check_options(args: argparse.Namespace, chosen: Release | None) -> None:
    """Refuse the options the release has nothing to do with."""
    generation = chosen.generation if chosen is not None else 1
    tag = chosen.tag if chosen is not None else "v0.2.0"
    given = {
        "--token": (args.token is not None, generation <= 2),
        "--ready-header": (args.ready_header, generation == 1),
        "--id-shape": (args.id_shape is not None, generation == 1),
        "--env": (bool(args.env), generation >= 3),
        "--block-ms": (args.block_ms is not None, generation >= 4),
        "--identity": (args.identity is not None, generation >= 4),
    }
    for option, (used, fits) in given.items():
        if used and not fits:
            raise UsageError(f"{option} has no meaning for engine {tag} (generation {generation})")


async def _serve(args: argparse.Namespace, definition: ServiceDefinition | ServiceSchema) -> int:
    # gRPC's C core writes lines of its own on standard error (for a failed bind, which is
    # reported here in one line); GRPC_VERBOSITY set by the operator brings them back. It is
    # read when gRPC loads.
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    from ._model import IdShape  # noqa: PLC0415 - gRPC loads only for this command
    from ._server import EngineServer  # noqa: PLC0415
    from ._signing import Identity  # noqa: PLC0415
    from ._state import Engine  # noqa: PLC0415

    chosen: Release | None = args.protocol
    identity = None
    if args.identity is not None:
        try:
            identity = Identity.load(Path(args.identity))
        except (OSError, ValueError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            raise UsageError(f"--identity: {args.identity}: {reason}") from None
    engine = Engine(
        definition,
        release=chosen,
        token=args.token,
        ready_header=True if args.ready_header else None,
        ids=IdShape[ID_SHAPES[args.id_shape]] if args.id_shape else None,
        env=dict(args.env),
        block_seconds=args.block_ms / 1000 if args.block_ms is not None else None,
        identity=identity,
    )
    server = EngineServer(engine, port=args.port, unix_socket=args.unix_socket)
    stop = stop_on_signals(log)  # before the banner: a script may signal once it has read it
    try:
        await server.start()
    except OSError as error:  # its message names the address and the reason already
        raise UsageError(str(error)) from None
    name = engine.service().name
    release = engine.release
    if release.generation == 1:
        shape = "v0.2" if engine.ids is IdShape.JOINED else "v0.4"
        say(
            f"MESG engine stand-in ({release.tag} semantics) for service {name}, execution ids "
            f"of {shape}"
        )
        variable = "MESG_ENDPOINT" if args.unix_socket else "MESG_ENDPOINT_TCP"
        say(f"{variable}={server.address}")
        say(f"MESG_TOKEN={server.token}")
    else:
        blocks = (
            f", blocks of {engine.chain.block_seconds:g} s" if engine.chain.block_seconds else ""
        )
        say(
            f"MESG engine stand-in ({release.tag} semantics, generation {release.generation}"
            f"{blocks}) for service {name}"
        )
        for key, value in server.environment().items():
            say(f"{key}={value}")
    try:
        await stop.wait()
    finally:
        await server.stop()
    return EXIT_OK
