"""``mesg-pusher engine``: the engine stand-in on its own, for trying the service locally.

It prints the two variables ``mesg-pusher serve`` needs, then serves until SIGINT or SIGTERM,
logging executions and results to standard error.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from ..mesg import DefinitionError, ServiceDefinition, load, load_packaged

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
        "--port", type=_port, default=0, help="TCP port on 127.0.0.1 (default: a free one)"
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


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0 to 65535)")
    return port


def _definition(path: str | None) -> ServiceDefinition:
    if path is None:
        return load_packaged()
    try:
        return load(Path(path).read_text("utf-8"))
    except UnicodeDecodeError:
        raise DefinitionError(f"{path}: not UTF-8 text") from None
    except RecursionError:
        raise DefinitionError(f"{path}: nested too deeply") from None
    except OSError as error:
        raise DefinitionError(f"{path}: {error.strerror or error}") from None
    except ValueError as error:  # whatever else the YAML reader refuses
        raise DefinitionError(f"{path}: {error}") from None


def _usage_error(error: Exception) -> int:
    text = " ".join(str(error).split())  # one line, whatever the message holds
    print(f"mesg-pusher engine: error: {text}", file=sys.stderr)
    return USAGE_ERROR


def _run(args: argparse.Namespace) -> int:
    try:
        definition = _definition(args.file)
    except DefinitionError as error:
        return _usage_error(error)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    return asyncio.run(_serve(args, definition))


async def _serve(args: argparse.Namespace, definition: ServiceDefinition) -> int:
    # gRPC's C core writes lines of its own on standard error (for a failed bind, which is
    # reported here in one line); GRPC_VERBOSITY set by the operator brings them back. It is
    # read when gRPC loads.
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    from ._engine import Engine  # noqa: PLC0415 - gRPC loads only for this command
    from ._server import EngineServer  # noqa: PLC0415

    engine = Engine(definition, token=args.token, ready_header=args.ready_header)
    server = EngineServer(engine, port=args.port, unix_socket=args.unix_socket)
    try:
        await server.start()
    except OSError as error:
        return _usage_error(error)
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
