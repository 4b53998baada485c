"""Fixtures for the engine stand-in's tests: an engine served on 127.0.0.1 and a client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from mesg_pusher.engine import CoreClient, Engine, EngineServer


@pytest.fixture
async def server() -> AsyncIterator[EngineServer]:
    async with EngineServer(Engine()) as running:
        yield running


@pytest.fixture
async def client(server: EngineServer) -> AsyncIterator[CoreClient]:
    async with CoreClient(server.address) as core:
        yield core
