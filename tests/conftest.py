"""Fixtures shared by every test folder: Pusher-like servers on 127.0.0.1 and test certificates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.fake_pusher import FakePusher
from tests.support.tls import TestCertificates, make_certificates


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> TestCertificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture
async def fake_pusher() -> AsyncIterator[FakePusher]:
    server = await FakePusher().start()
    yield server
    await server.stop()


@pytest.fixture
async def fake_pusher_tls(certificates: TestCertificates) -> AsyncIterator[FakePusher]:
    server = await FakePusher(ssl_context=certificates.server_context()).start()
    yield server
    await server.stop()


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
