"""What the tests of the later generations share: the service they run (the protocol
description's "svc"), and the stand-in of one release served with a test client of that
release's official library."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from grpc import aio

from mesg_pusher.engine import Engine, EngineServer, load_schema
from mesg_pusher.mesg.protocol import release
from tests.support.mesg_services import library

#: The service the protocol description's tables are about.
SVC = """
name: svc
tasks:
  ok:
    inputs:
      x: {type: String}
    outputs:
      message: {type: String}
      extra: {type: String, optional: true}
  bad:
    outputs:
      message: {type: String}
  nested:
    inputs:
      batch:
        type: Object
        repeated: true
        object:
          channel: {type: String}
          n: {type: Number, optional: true}
    outputs:
      any: {type: Any}
events:
  received:
    data:
      n: {type: Number}
      o: {type: Object, optional: true}
"""
WAIT = 10  # seconds for any one step; a stuck one is a failure


@dataclass
class Served:
    engine: Engine
    server: EngineServer
    env: dict[str, str]
    service: Any  # the library's test client

    async def execute(self, task: str, inputs: dict[str, Any]) -> str:
        async with asyncio.timeout(WAIT):
            return await self.engine.execute(self.engine.token, task, inputs)


@asynccontextmanager
async def served(
    tag: str, *, block_seconds: float | None = 0.05, **options: Any
) -> AsyncIterator[Served]:
    chosen = release(tag)
    if chosen.generation < 4:
        block_seconds = None
    engine = Engine(load_schema(SVC), release=chosen, block_seconds=block_seconds, **options)
    async with EngineServer(engine) as server:
        env = server.environment()
        service = library(chosen.tag, server.address, env)
        try:
            yield Served(engine, server, env, service)
        finally:
            await service.close()


async def refusal(call: Any, code: grpc.StatusCode = grpc.StatusCode.UNKNOWN) -> str:
    """The engine's text of a refused call (status UNKNOWN unless said)."""
    with pytest.raises(aio.AioRpcError) as error:
        async with asyncio.timeout(WAIT):
            await call
    assert error.value.code() == code, error.value.details()
    return error.value.details() or ""
