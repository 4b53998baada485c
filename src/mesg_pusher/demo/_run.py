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
import json
import logging
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TextIO

from .. import _command_line as commands
from .._errors import MesgPusherError
from ..engine import CoreClient, Engine, EngineServer, Results
from ..local_server import (
    DEFAULT_APP,
    AppOptions,
    LocalServer,
    ReceivedEvent,
    ServerSettings,
    Subscriber,
    SubscriberError,
)
from . import _webhooks as webhooks
from ._api_steps import api_steps
from ._commands import stay_commands
from ._scenario import PRIVATE_CHANNEL, PUBLIC_CHANNEL, Step, steps

log = logging.getLogger("mesg_pusher.demo")
#: How long the demo waits for any one thing (a result, an event, a process) before giving up.
WAIT = 10.0
#: What ends `demo --stay`, gracefully.
_STAY_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class DemoFailed(MesgPusherError):
    """Something did not happen as the scenario says; the message says what."""


async def run(*, port: int, stay: bool, out: TextIO = sys.stdout) -> int:
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
    async with (
        pusher,
        EngineServer(Engine()) as engine,
        CoreClient(engine.address) as core,
        core.listen_events(engine.token) as events,
        _serve_process(engine, pusher, webhook_port) as serve,
        core.results(engine.token) as results,
        await Subscriber.connect(pusher.ws_url, DEFAULT_APP.key) as subscriber,
    ):
        say(
            f"Local Pusher server   {pusher.url}/  (app {DEFAULT_APP.app_id}, key "
            f"{DEFAULT_APP.key})"
        )
        say(f"Engine stand-in       {engine.address}  (service token {engine.token})")
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
            data = await _answer(core, results, engine.token, step, number=number, out=out)
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
            say(f"open {pusher.url}/ to watch; Ctrl-C ends the demo. From another terminal,")
            for what, command in stay_commands(
                engine.address, engine.token, DEFAULT_APP, pusher.port
            ):
                say(f"  {what}:")
                say(f"    {command}")
            say("MESG events from webhooks keep being printed as they come:")
            printer = asyncio.create_task(webhooks.print_as_they_come(events, say, heard))
            try:
                # A closed terminal too: serve, in a session of its own, hears of it from here.
                await commands.stop_on_signals(log, _STAY_SIGNALS).wait()
            finally:
                printer.cancel()
    return commands.EXIT_OK


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


async def _answer(
    core: CoreClient, results: Results, token: str, step: Step, *, number: int, out: TextIO
) -> Any:
    """Run `step` through the engine protocol, print its output as the engine's CLI did, and
    check it; the output's data."""
    execution = await core.execute(token, step.task, step.inputs)
    async with asyncio.timeout(WAIT):
        result = (await results.wait_for([execution]))[execution]
    commands.say(f"Task {result.taskKey} returned output {result.outputKey} with data:", stream=out)
    data = json.loads(result.outputData)
    commands.say_json(data, stream=out)
    if result.outputKey != step.output:
        raise DemoFailed(f"step {number} answered {result.outputKey}, not {step.output}")
    if step.expect is not None and data != step.expect:
        raise DemoFailed(f"step {number} answered {data}, not {step.expect}")
    return data


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
    """`mesg-pusher serve` in its own process, stopped with SIGTERM (its graceful stop). The
    app's credentials are in its environment, so executions may leave them out; it receives the
    local server's webhooks for that app on `webhook_port`."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PUSHER_")},
        "MESG_ENDPOINT_TCP": engine.address,
        "MESG_TOKEN": engine.token,
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
