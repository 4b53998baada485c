"""The whole system on one machine: the local Pusher server, the engine stand-in, `mesg-pusher
serve` as its own process (as under the engine, the app's credentials in its environment), and a
subscriber that shows what arrives and joins a presence channel with an authorization a task
made.

Each step is run through the engine protocol (``ExecuteTask``, then ``ListenResult``), its output
printed the way the engine's CLI printed it, then the events the subscriber received. Then the
loop back: the local server's webhooks reach ``serve``, whose MESG events the demo hears on
``ListenEvent`` (``_webhooks.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, TextIO

from .. import _command_line as commands
from ..engine import CoreClient, Engine, EngineClient, EngineServer
from ..local_server import (
    DEFAULT_APP,
    AppOptions,
    LocalServer,
    ReceivedEvent,
    ServerSettings,
    Subscriber,
    SubscriberError,
)
from ..mesg import CREDENTIAL_VARIABLES, Release
from . import _webhooks as webhooks
from ._api_steps import api_steps
from ._application import (
    DemoFailed,
    FirstEvents,
    HeardEvents,
    LaterEvents,
    answer_first,
    answer_later,
)
from ._commands import stay_commands
from ._scenario import PRIVATE_CHANNEL, PUBLIC_CHANNEL, Step, steps

log = logging.getLogger("mesg_pusher.demo")
#: How long the demo waits for any one thing (a result, an event, a process) before giving up.
WAIT = 10.0
#: What ends `demo --stay`, gracefully.
_STAY_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
#: The stand-in's block time from v0.17 (the releases': 1 s, 5 s from v0.18.1).
BLOCK_SECONDS = 0.2
#: v0.17.0's account, which serve sends with every result.
CREDENTIALS = ("demo-account", "demo-passphrase")


async def run(
    *, port: int, stay: bool, out: TextIO = sys.stdout, release: Release | None = None
) -> int:
    """The demo on the stand-in of `release` (None: the first generation, as the root
    mesg.yml is written for)."""
    started = time.monotonic()

    def say(text: str = "") -> None:
        commands.say(text, stream=out)

    webhook_port = webhooks.free_port()
    settings = ServerSettings(
        # Subscription counts on: the webhooks the demo shows include them.
        app_options={DEFAULT_APP.app_id: AppOptions(subscription_count=True)},
        webhooks=(f"http://127.0.0.1:{webhook_port}/webhooks",),
        webhook_delay=webhooks.VACATED_DELAY,
    )
    pusher = LocalServer(settings, port=port)
    try:
        await pusher.start()
    except OSError as error:
        raise commands.cannot_listen(f"{pusher.host}:{port}", error) from None
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(pusher)
        engine = await stack.enter_async_context(EngineServer(_engine(release)))
        events, serve, answer = await _application(
            stack, engine, release, lambda: _serve_process(engine, pusher, webhook_port), out
        )
        subscriber = await stack.enter_async_context(
            await Subscriber.connect(pusher.ws_url, DEFAULT_APP.key)
        )
        say(
            f"Local Pusher server   {pusher.url}/  (app {DEFAULT_APP.app_id}, key "
            f"{DEFAULT_APP.key})"
        )
        say(f"Engine stand-in       {engine.address}  ({_engine_line(engine, release)})")
        say(
            f"mesg-pusher serve     pid {serve.pid}, listening for executions, and for webhooks "
            f"on 127.0.0.1:{webhook_port}"
        )
        await subscriber.subscribe(PUBLIC_CHANNEL)
        await subscriber.subscribe_signed(PRIVATE_CHANNEL, DEFAULT_APP)
        say(
            f"Subscriber            socket {subscriber.socket_id}, on {PUBLIC_CHANNEL} and "
            f"{PRIVATE_CHANNEL}"
        )

        delivered = 0
        scenario = [*steps(DEFAULT_APP, pusher.port), *api_steps(subscriber.socket_id)]
        for number, step in enumerate(scenario, 1):
            say()
            say(f"[{number}] {step.title}")
            data = await answer(step, number)
            if step.joins is not None:
                say(await _join(subscriber, step.joins, data))
            for event in await _events(subscriber, len(step.events)):
                say(f"  subscriber received {event.event!r} on {event.channel}: {event.data}")
                delivered += 1
            if await _events(subscriber, 1, within=0.05):
                raise DemoFailed(f"step {number} delivered more than it should")

        say()
        say(
            f"[{number + 1}] a visitor joins {webhooks.ROOM}: the local server's webhooks reach "
            "serve, which emits MESG events"
        )
        try:
            heard = await webhooks.visitor_joins(
                pusher.ws_url, DEFAULT_APP, events, say, within=WAIT
            )
        except TimeoutError:
            raise DemoFailed("serve emitted no event for the visitor's webhooks") from None

        say()
        say(
            f"{len(scenario)} executions answered through the engine protocol, {delivered}"
            f" events delivered, {heard} MESG events emitted from webhooks, "
            f"in {time.monotonic() - started:.1f} s."
        )
        if stay:
            await _stay(
                say,
                stack=stack,
                pusher=pusher,
                engine=engine,
                release=release,
                events=events,
                heard=heard,
            )
    return commands.EXIT_OK


Answer = Callable[[Step, int], Awaitable[Any]]


async def _stay(
    say: Callable[[str], None],
    *,
    stack: contextlib.AsyncExitStack,
    pusher: LocalServer,
    engine: EngineServer,
    release: Release | None,
    events: HeardEvents,
    heard: int,
) -> None:
    """``--stay``: the commands that drive the running demo, then its MESG events as they come,
    until a signal."""
    say(f"open {pusher.url}/ to watch; Ctrl-C ends the demo. From another terminal,")
    protocol = release.tag if release is not None else None
    identity_file = None
    if release is not None and release.generation == 5:
        # From v0.21 an application signs its calls with the engine's key: kept for the
        # printed commands in a file of this run, removed when the demo ends.
        identity_file = _keep_identity(stack, engine)
    credentials = CREDENTIALS if release is not None and release.credentials_on_update else None
    shown = stay_commands(
        engine.address,
        engine.token,
        DEFAULT_APP,
        pusher.port,
        protocol=protocol,
        credentials=credentials,
        identity_file=identity_file,
    )
    for what, command in shown:
        say(f"  {what}:")
        say(f"    {command}")
    say("MESG events from webhooks keep being printed as they come:")
    printer = asyncio.create_task(webhooks.print_as_they_come(events, say, heard))
    try:
        # A closed terminal too: serve, in a session of its own, hears of it from here.
        await commands.stop_on_signals(log, _STAY_SIGNALS).wait()
    finally:
        printer.cancel()


def _keep_identity(stack: contextlib.AsyncExitStack, engine: EngineServer) -> str:
    """The stand-in's key in a file only this user may read (`engine --identity`'s form), in
    a folder removed when `stack` closes; its path."""
    folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="mesg-pusher-demo-"))
    path = Path(folder) / "engine.key"
    engine.engine.identity.save(path)
    return str(path)


async def _application(
    stack: contextlib.AsyncExitStack,
    engine: EngineServer,
    release: Release | None,
    serving: Callable[[], AbstractAsyncContextManager[asyncio.subprocess.Process]],
    out: TextIO,
) -> tuple[HeardEvents, asyncio.subprocess.Process, Answer]:
    """The application of the release (its events heard from before serve starts) and serve:
    what hears the events, serve's process, and how a step is answered."""
    if release is None:
        core = await stack.enter_async_context(CoreClient(engine.address))
        events: HeardEvents = FirstEvents(
            await stack.enter_async_context(core.listen_events(engine.token))
        )
        serve = await stack.enter_async_context(serving())
        results = await stack.enter_async_context(core.results(engine.token))

        async def first(step: Step, number: int) -> Any:
            return await answer_first(core, results, engine.token, step, number=number, out=out)

        return events, serve, first
    client = await stack.enter_async_context(_client(engine, release))
    heard_on = "ListenEvent" if release.generation == 2 else "Event/Stream"
    events = LaterEvents(await stack.enter_async_context(client.events(engine.token)), heard_on)
    serve = await stack.enter_async_context(serving())
    heard = await stack.enter_async_context(client.results(engine.token))

    async def later(step: Step, number: int) -> Any:
        return await answer_later(client, heard, engine.token, step, number=number, out=out)

    return events, serve, later


def _engine(release: Release | None) -> Engine:
    if release is None:
        return Engine()
    return Engine(release=release, block_seconds=BLOCK_SECONDS if release.generation >= 4 else None)


def _client(engine: EngineServer, release: Release) -> EngineClient:
    """The release's application: G5's calls are signed with the stand-in's key, v0.17.0's
    carry the account's credentials."""
    credentials = CREDENTIALS if release.credentials_on_update else None
    return EngineClient(
        engine.address, release, identity=engine.engine.identity, credentials=credentials
    )


def _engine_line(engine: EngineServer, release: Release | None) -> str:
    if release is None:
        return f"service token {engine.token}"
    blocks = f", blocks of {BLOCK_SECONDS:g} s" if release.generation >= 4 else ""
    return f"engine {release.tag}, G{release.generation}{blocks}; the service is {engine.token}"


async def _join(subscriber: Subscriber, channel: str, answer: dict[str, str]) -> str:
    """Subscribe to `channel` with an authorization task's answer, as pusher-js would."""
    try:
        joined = await subscriber.subscribe(
            channel, auth=answer["auth"], channel_data=answer.get("channel_data"), within=WAIT
        )
    except SubscriberError as error:
        raise DemoFailed(f"the local server refused the authorization: {error}") from None
    members = joined.json().get("presence", {}).get("ids", [])
    return f"  subscriber joined {channel} with it (members: {', '.join(members)})"


async def _events(subscriber: Subscriber, count: int, within: float = WAIT) -> list[ReceivedEvent]:
    events = []
    with contextlib.suppress(TimeoutError):
        for _ in range(count):
            events.append(await subscriber.next_event(within=within))
    if within == WAIT and len(events) < count:
        raise DemoFailed(f"the subscriber received {len(events)} of {count} events")
    return events


@contextlib.asynccontextmanager
async def _serve_process(
    engine: EngineServer, pusher: LocalServer, webhook_port: int
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`mesg-pusher serve` in its own process, stopped with SIGTERM (its graceful stop), with
    the variables the stand-in's release gives a service. The app's credentials are in its
    environment, so executions may leave them out; it receives the local server's webhooks for
    that app on `webhook_port`."""
    given = engine.environment()
    if engine.engine.release.generation == 1:  # as it always was: the first generation's two
        given = {"MESG_ENDPOINT_TCP": engine.address, "MESG_TOKEN": engine.token}
    if engine.engine.release.credentials_on_update:
        given.update(zip(CREDENTIAL_VARIABLES, CREDENTIALS, strict=True))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PUSHER_", "MESG_"))},
        **given,
        "MESG_PUSHER_LOG_LEVEL": "warning",
        "MESG_PUSHER_WEBHOOK_LISTEN": f"127.0.0.1:{webhook_port}",
        "PUSHER_APP_ID": DEFAULT_APP.app_id,
        "PUSHER_APP_KEY": DEFAULT_APP.key,
        "PUSHER_APP_SECRET": DEFAULT_APP.secret,
        "PUSHER_HOST": "127.0.0.1",
        "PUSHER_PORT": str(pusher.port),
    }
    # A session of its own: a terminal's Ctrl-C reaches the demo only, which stops serve
    # once, gracefully (the signal reaching both made the demo's SIGTERM serve's second).
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mesg_pusher.cli", "serve", env=env, start_new_session=True
    )
    try:
        await _wait_for(lambda: engine.engine.task_listeners(engine.token) > 0, process)
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(WAIT):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()


async def _wait_for(condition: Callable[[], bool], process: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if process.returncode is not None:
            raise DemoFailed(f"mesg-pusher serve exited with status {process.returncode}")
        if time.monotonic() > deadline:
            raise DemoFailed("mesg-pusher serve did not start listening")
        await asyncio.sleep(0.02)
