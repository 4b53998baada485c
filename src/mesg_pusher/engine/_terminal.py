"""``mesg-pusher engine execute`` and ``engine listen``: the terminal as an application of an
engine (the stand-in or a real one), in the protocol of the release ``--protocol`` names.

``execute`` runs one execution and prints its result the way that release's CLI did:
- first generation (``mesg-core service execute``): ``Task <task> returned output <key> with
  data:`` and the data as JSON;
- v0.10 (mesg-cli 1.0): ``Result of task <task>`` and the outputs as JSON;
- from v0.11 (mesg-cli 2.0): the outputs as JSON alone.
An execution that failed (from v0.10, where an error is no output) is reported as an error on
standard error, exit status 1. Like ``mesg-core``, it listens for the result with a tag of its
own before it executes, so it hears its own execution's result and no other.

``listen`` prints results and events as they come, until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import logging
import os
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from .._command_line import (
    EXIT_OK,
    UsageError,
    fail,
    read_inputs,
    say,
    say_json,
    stop_on_signals,
    undeclared,
    usage_error,
)
from ..mesg import CREDENTIAL_VARIABLES, DefinitionError, ServiceDefinition, b58decode
from ._arguments import protocol, read_service

if TYPE_CHECKING:
    from ..mesg.protocol import Release
    from ._clients import EngineClient, EventHeard, Heard, ResultHeard
    from ._schema import ServiceSchema

log = logging.getLogger("mesg_pusher.engine")
#: Seconds ``execute`` waits for the result by default (two 5 s blocks fit many times).
DEFAULT_TIMEOUT: Final = 60.0


def add_commands(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    execute = actions.add_parser(
        "execute",
        help="run an execution through an engine and print its result",
        description=(
            "Run one execution of TASK through the engine at --endpoint and print its result as "
            "that release's CLI did (first generation: 'Task <task> returned output <key> with "
            "data:' and the JSON; v0.10: 'Result of task <task>' and the JSON; later: the "
            "outputs as JSON). A failed execution is an error on standard error. Exit status 0 "
            "for a result, 1 for a failure or a refusal, 2 for a usage error."
        ),
    )
    execute.add_argument("task", metavar="TASK", help="the task key")
    execute.add_argument(
        "--json",
        dest="json_file",
        metavar="FILE",
        help="read the inputs, a JSON object, from FILE ('-' reads standard input)",
    )
    execute.add_argument(
        "-d",
        "--data",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set one input (repeatable; wins over --json), read as mesg.yml types it",
    )
    execute.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"how long to wait for the result (default {DEFAULT_TIMEOUT:g})",
    )
    listen = actions.add_parser(
        "listen",
        help="print an engine's results and events as they come",
        description=(
            "Print the results of the service's executions and the events it emits, as they "
            "come, until SIGINT or SIGTERM (--results or --events for one kind only). On v0.17 "
            "and later, whose events do not name a runner, every event is printed."
        ),
    )
    only = listen.add_mutually_exclusive_group()
    only.add_argument("--events", action="store_true", help="events only")
    only.add_argument("--results", action="store_true", help="results only")
    for parser in (execute, listen):
        parser.add_argument(
            "--endpoint", required=True, metavar="ADDR", help="the engine (host:port)"
        )
        parser.add_argument(
            "--service",
            required=True,
            metavar="ID",
            help="the service as the release's application API names it: its token (to v0.10), "
            "instance hash (v0.11-v0.16) or runner hash (from v0.17)",
        )
        parser.add_argument(
            "--protocol",
            type=protocol,
            metavar="VERSION",
            help="the engine's release (default: the first generation)",
        )
        parser.add_argument(
            "--identity",
            metavar="FILE",
            help="the key that signs the calls from v0.21 (the stand-in's --identity FILE)",
        )
        parser.add_argument(
            "--file",
            metavar="MESG_YML",
            help="the service's mesg.yml, for the inputs' types (default: the packaged one)",
        )
    execute.set_defaults(run=_execute)
    listen.set_defaults(run=_listen)


def _seconds(text: str) -> float:
    """An argparse type: a time in seconds, above 0 and at most a day."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 86_400:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time in seconds (0 to 86400)")
    return value


def _release(args: argparse.Namespace) -> Release:
    from ..mesg.protocol import release  # noqa: PLC0415 - loads gRPC

    chosen: Release | None = args.protocol
    return chosen if chosen is not None else release("v0.2.0")


def _client(args: argparse.Namespace, release: Release) -> Callable[[], EngineClient]:
    """How to make the client (in the event loop that will use it), its key and credentials
    read now: a `UsageError` if they cannot be."""
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    from ._clients import EngineClient  # noqa: PLC0415 - gRPC loads only for this command
    from ._signing import Identity  # noqa: PLC0415

    if release.bytes_hashes:
        try:
            b58decode(args.service)
        except ValueError as error:
            raise UsageError(
                f"--service: {args.service!r} is not a hash in base58 ({error}): from v0.14 the "
                "application API names a service by its hash, as the engine's CLI lists it"
            ) from None
    identity = None
    if release.generation == 5:
        if args.identity is None:
            raise UsageError("--identity FILE is needed from v0.21: the calls are signed")
        path = Path(args.identity)
        if not path.is_file():
            raise UsageError(f"--identity: {path} is not a file")
        try:
            identity = Identity.load(path)
        except (OSError, ValueError) as error:
            raise UsageError(f"--identity: {error}") from None
    username, passphrase = (os.environ.get(name, "") for name in CREDENTIAL_VARIABLES)
    credentials = (username, passphrase) if username or passphrase else None
    return functools.partial(
        EngineClient, args.endpoint, release, identity=identity, credentials=credentials
    )


def _kinds(args: argparse.Namespace, release: Release) -> dict[str, str] | None:
    """How each input of the task is declared, to read ``-d`` values (None: no such task)."""

    definition: ServiceDefinition | ServiceSchema = read_service(args.file, release)
    if isinstance(definition, ServiceDefinition):
        task = definition.tasks.get(args.task)
        return {key: p.type for key, p in task.inputs.items()} if task else None
    found = definition.tasks.get(args.task)
    if found is None:
        return None
    return {p.key: "Any" if p.repeated else p.type for p in found.inputs}


def _execute(args: argparse.Namespace) -> int:
    try:
        release = _release(args)
        kinds = _kinds(args, release)
        inputs = read_inputs(args.json_file, args.data, kinds or {})
        client = _client(args, release)
    except (UsageError, DefinitionError) as error:
        return usage_error("engine execute", str(error))
    if kinds is not None:
        # Said as `mesg-pusher execute` says it; the inputs go to the engine as given.
        for warning in undeclared(args.task, inputs, kinds):
            say(f"mesg-pusher engine execute: warning: {warning}", stream=sys.stderr)
    return asyncio.run(_run_execution(client, args, inputs))


async def _run_execution(
    make: Callable[[], EngineClient], args: argparse.Namespace, inputs: Any
) -> int:
    from grpc import aio  # noqa: PLC0415

    client = make()
    tag = uuid.uuid4().hex  # hears this execution's result, and no other
    try:
        # The whole call is bounded: an engine that never answers, or never says the stream
        # is ready, is reported, not waited on for ever.
        async with (
            asyncio.timeout(args.timeout),
            client,
            client.results(args.service, task=args.task, tags=[tag]) as results,
        ):
            execution = await client.execute(args.service, args.task, inputs, tags=[tag])
            heard = await results.result_of(execution)
    except aio.AioRpcError as error:
        return fail("engine execute", error.details() or error.code().name)
    except TimeoutError:
        return fail("engine execute", f"no result within {args.timeout:g} s")
    if heard.error is not None:
        return fail("engine execute", heard.error)
    generation = client.release.generation
    if generation == 1:
        say(f"Task {args.task} returned output {heard.output_key} with data:")
    elif generation == 2:
        say(f"Result of task {args.task}")
    say_json(heard.outputs)
    return EXIT_OK


def _listen(args: argparse.Namespace) -> int:
    try:
        release = _release(args)
        client = _client(args, release)
    except UsageError as error:
        return usage_error("engine listen", str(error))
    return asyncio.run(_run_listening(client, args))


async def _run_listening(make: Callable[[], EngineClient], args: argparse.Namespace) -> int:
    from grpc import aio  # noqa: PLC0415

    client = make()
    streams: list[Heard] = []
    if not args.events:
        streams.append(client.results(args.service))
    if not args.results:
        streams.append(client.events(args.service))
    stop = stop_on_signals(log)
    async with client, contextlib.AsyncExitStack() as entered:
        try:
            for stream in streams:
                await entered.enter_async_context(stream)
        except aio.AioRpcError as error:
            return fail("engine listen", error.details() or error.code().name)
        printers = [asyncio.create_task(_print_each(stream)) for stream in streams]
        stopping = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait([*printers, stopping], return_when=asyncio.FIRST_COMPLETED)
        for task in (*printers, stopping):
            task.cancel()
        if stopping in done:
            return EXIT_OK
        problem = next(task.exception() for task in done if task is not stopping)
    if isinstance(problem, aio.AioRpcError):
        return fail("engine listen", problem.details() or problem.code().name)
    return fail("engine listen", "the engine ended the stream")


async def _print_each(stream: Heard) -> None:
    from ._clients import ResultHeard  # noqa: PLC0415

    index = 0
    while True:
        item = await stream.next_heard(index)
        index += 1
        if isinstance(item, ResultHeard):
            _print_result(item)
        else:
            _print_event(item)


def _print_result(heard: ResultHeard) -> None:
    if heard.output_key:
        say(f"Task {heard.task_key} returned output {heard.output_key} with data:")
    elif heard.error is not None:
        say(f"Task {heard.task_key} failed: {heard.error}")
        return
    else:
        say(f"Task {heard.task_key} returned outputs:")
    say_json(heard.outputs)


def _print_event(heard: EventHeard) -> None:
    say(f"Event {heard.key} with data:")
    say_json(heard.data)
