"""``mesg-pusher engine``: the engine stand-in on its own, for trying the service locally.

It prints the two variables ``mesg-pusher serve`` needs, then serves until SIGINT or SIGTERM,
logging executions and results to standard error.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os

from .._commands import (
    EXIT_OK,
    UsageError,
    port,
    read_definition,
    say,
    stop_on_signals,
    usage_error,
)
from .._logs import configure
from ..mesg import DefinitionError, ServiceDefinition

log = logging.getLogger("mesg_pusher.engine")
#: ``--id-shape`` values: the engine version whose execution ids the stand-in makes.
ID_SHAPES = {"v0.2": "JOINED", "v0.4": "DIGEST"}


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    engine = commands.add_parser(
        "engine",
        help="run a local stand-in of the MESG engine (v0.2.0 semantics) for this service",
        description=(
            "Run a stand-in of the MESG engine's gRPC API (api.Service for the service, "
            "api.Core for applications) with Core v0.2.0 semantics, on 127.0.0.1. It prints "
            "MESG_ENDPOINT_TCP and MESG_TOKEN for `mesg-pusher serve`, then serves until "
            "SIGINT or SIGTERM (a second one exits at once). Applications run tasks with "
            "api.Core/ExecuteTask, hear results with api.Core/ListenResult and events with "
            "api.Core/ListenEvent (serviceID: the token). Exit status 0 when stopped by a "
            "signal, 2 for a usage error (a mesg.yml it cannot use, an address it cannot listen "
            "on)."
        ),
    )
    engine.add_argument(
        "--port", type=port, default=0, help="TCP port on 127.0.0.1 (default: a free one)"
    )
    engine.add_argument(
        "--unix-socket", metavar="PATH", help="listen on this unix socket instead of TCP"
    )
    engine.add_argument("--token", help="the service token (default: a random one)")
    engine.add_argument("--file", metavar="MESG_YML", help="a mesg.yml other than the packaged one")
    engine.add_argument(
        "--ready-header",
        action="store_true",
        help="send the 'status: ready' header on ListenTask, as engines from v0.7 do",
    )
    engine.add_argument(
        "--id-shape",
        choices=sorted(ID_SHAPES),
        default="v0.4",
        help=(
            "the execution ids made: v0.2 joins the creation time, service name, task key and "
            "inputs (every input, the secret included, as the v0.1-v0.3 engines did); v0.4 is a "
            "40-hex digest, as from v0.4 on (default: v0.4)"
        ),
    )
    engine.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        # The stand-in serves what the definition declares: one it cannot use is a usage error.
        definition = read_definition(args.file)
    except (UsageError, DefinitionError) as error:
        return usage_error("engine", str(error))
    configure("text", "info")
    try:
        return asyncio.run(_serve(args, definition))
    except UsageError as error:
        return usage_error("engine", str(error))


async def _serve(args: argparse.Namespace, definition: ServiceDefinition) -> int:
    # gRPC's C core writes lines of its own on standard error (for a failed bind, which is
    # reported here in one line); GRPC_VERBOSITY set by the operator brings them back. It is
    # read when gRPC loads.
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    from ._model import IdShape  # noqa: PLC0415 - gRPC loads only for this command
    from ._server import EngineServer  # noqa: PLC0415
    from ._state import Engine  # noqa: PLC0415

    engine = Engine(
        definition,
        token=args.token,
        ready_header=args.ready_header,
        ids=IdShape[ID_SHAPES[args.id_shape]],
    )
    server = EngineServer(engine, port=args.port, unix_socket=args.unix_socket)
    try:
        await server.start()
    except OSError as error:  # its message names the address and the reason already
        raise UsageError(str(error)) from None
    variable = "MESG_ENDPOINT" if args.unix_socket else "MESG_ENDPOINT_TCP"
    say(
        f"MESG engine stand-in (v0.2.0 semantics) for service {definition.name}, execution ids "
        f"of {args.id_shape}"
    )
    say(f"{variable}={server.address}")
    say(f"MESG_TOKEN={server.token}")
    try:
        await stop_on_signals(log).wait()
    finally:
        await server.stop()
    return EXIT_OK
