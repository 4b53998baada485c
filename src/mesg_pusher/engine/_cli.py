"""``mesg-pusher engine``: the engine stand-in on its own, for trying the service locally.

It prints the two variables ``mesg-pusher serve`` needs, then serves until SIGINT or SIGTERM,
logging executions and results to standard error.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from ..mesg._definition import DefinitionError, ServiceDefinition, load, load_packaged

USAGE_ERROR = 2


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    engine = commands.add_parser(
        "engine",
        help="run a local stand-in of the MESG engine (v0.2.0 semantics) for this service",
        description=(
            "Run a stand-in of the MESG engine's gRPC API (api.Service for the service, "
            "api.Core for applications) with Core v0.2.0 semantics, on 127.0.0.1. It prints "
            "MESG_ENDPOINT_TCP and MESG_TOKEN for `mesg-pusher serve`, then serves until "
            "SIGINT or SIGTERM. Applications run tasks with api.Core/ExecuteTask and hear "
            "results with api.Core/ListenResult (serviceID: the token)."
        ),
    )
    engine.add_argument(
        "--port", type=int, default=0, help="TCP port on 127.0.0.1 (default: a free one)"
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
    engine.set_defaults(run=_run)


def _definition(path: str | None) -> ServiceDefinition:
    if path is None:
        return load_packaged()
    return load(Path(path).read_text("utf-8"))


def _run(args: argparse.Namespace) -> int:
    try:
        definition = _definition(args.file)
    except (OSError, DefinitionError) as error:
        print(f"mesg-pusher engine: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    return asyncio.run(_serve(args, definition))


async def _serve(args: argparse.Namespace, definition: ServiceDefinition) -> int:
    from ._engine import Engine  # noqa: PLC0415 - gRPC loads only for this command
    from ._server import EngineServer  # noqa: PLC0415

    engine = Engine(definition, token=args.token, ready_header=args.ready_header)
    server = EngineServer(engine, port=args.port, unix_socket=args.unix_socket)
    await server.start()
    variable = "MESG_ENDPOINT" if args.unix_socket else "MESG_ENDPOINT_TCP"
    print(f"MESG engine stand-in (v0.2.0 semantics) for service {definition.name}", flush=True)
    print(f"{variable}={server.address}", flush=True)
    print(f"MESG_TOKEN={server.token}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()
    return 0
