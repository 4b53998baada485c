"""Fixtures for the serve runtime's tests: the engine stand-in on 127.0.0.1, a Pusher-like
server that holds requests until a test lets them through, and the service run in-process."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from mesg_pusher.engine import CoreClient, Engine, EngineServer
from mesg_pusher.mesg import ServiceDefinition
from mesg_pusher.runtime import Service, resolve
from mesg_pusher.webhooks import Credentials
from tests.runtime.generations import environment
from tests.support.fake_pusher import FakePusher

WAIT = 20.0  # seconds any single wait in these tests may take at most
#: An error output another instance of the service gave (as mesg.yml declares one).
ELSEWHERE = '{"error":"answered elsewhere","kind":"defect","retry":"useless"}'


@dataclass
class GatedPusher(FakePusher):
    """A FakePusher whose requests wait until `gate` is open (it starts open); `arrived`
    counts requests as they come in, `waiting` those held at the gate."""

    gate: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: int = 0
    arrived: int = 0

    def __post_init__(self) -> None:
        self.gate.set()

    async def _handle(self, request: web.Request) -> web.Response:
        self.arrived += 1
        self.waiting += 1
        try:
            await self.gate.wait()
        finally:
            self.waiting -= 1
        return await super()._handle(request)


@pytest.fixture
async def pusher() -> AsyncIterator[GatedPusher]:
    server = GatedPusher()
    await server.start()
    yield server
    server.gate.set()
    await server.stop()


@pytest.fixture
async def engine_server() -> AsyncIterator[EngineServer]:
    async with EngineServer(Engine()) as server:
        yield server


@pytest.fixture
async def client(engine_server: EngineServer) -> AsyncIterator[CoreClient]:
    async with CoreClient(engine_server.address) as core:
        yield core


@dataclass
class Running:
    service: Service
    stop: asyncio.Event
    task: asyncio.Task[int]

    async def finish(self) -> int:
        """Stop the service as a signal would and return its exit status."""
        self.stop.set()
        async with asyncio.timeout(WAIT):
            return await self.task


@asynccontextmanager
async def serving(
    server: EngineServer,
    *,
    definition: ServiceDefinition | None = None,
    apps: Sequence[Credentials] = (),
    endpoint: str | None = None,
    **settings: Any,
) -> AsyncIterator[Running]:
    """The service, in this event loop, listening to `server` (through `endpoint` when given:
    a proxy; settings: ServeConfig's) and receiving the webhooks of `apps` (none: every webhook
    is answered 503). It reads the environment the stand-in's release gives a service, as under
    the engine (``auto``)."""
    if endpoint is not None:
        settings["endpoint"] = endpoint
    config = dataclasses.replace(resolve({}, environment(server)), **settings)
    service = Service(config, definition=definition, apps=apps, draw=lambda: 0.5)
    stop = asyncio.Event()
    running = Running(service, stop, asyncio.create_task(service.run(stop)))
    try:
        await until(lambda: server.engine.task_listeners() >= 1)
        yield running
    finally:
        if not running.task.done():
            await running.finish()


async def until(condition: Callable[[], bool]) -> None:
    """Wait, at most WAIT seconds, for `condition` to hold (checked every few milliseconds)."""
    async with asyncio.timeout(WAIT):
        while not condition():  # noqa: ASYNC110 - the state of several servers, no one event
            await asyncio.sleep(0.005)


def trigger_inputs(pusher: FakePusher, **extra: Any) -> dict[str, Any]:
    return {
        **pusher.inputs(),
        "channel": "my-channel",
        "name": "my-event",
        "data": {"a": 1},
        **extra,
    }
