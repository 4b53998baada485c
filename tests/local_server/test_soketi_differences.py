"""Where the local server and soketi differ, measured: the same signed requests go to both, and
each row of the table in docs/local-server.md is checked here against the two servers."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
import pytest

from mesg_pusher._json import dumps, loads
from mesg_pusher.local_server import LocalServer

from .conftest import Soketi
from .test_strictness import Row, event, target

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    connection: str | None

    @property
    def soketi_code(self) -> int | None:
        parsed = loads(self.body) if self.body.startswith("{") else {}
        code = parsed.get("code") if isinstance(parsed, dict) else None
        return code if isinstance(code, int) else None


async def ask(
    http: aiohttp.ClientSession, base: str, row: Row, bad_signature: bool = False
) -> Answer:
    body = dumps(row.body).encode()
    path = target(row, body)
    if bad_signature:
        path = path.rsplit("auth_signature=", 1)[0] + "auth_signature=" + "0" * 64
    headers = {"Content-Type": "application/json"}
    async with http.post(base + path, data=body, headers=headers) as answer:
        return Answer(answer.status, await answer.text(), answer.headers.get("Connection"))


# name, request, local status, soketi's embedded error code (None: soketi accepts it)
ROWS = [
    ("stale timestamp", Row("t", event(), timestamp_offset=-601), 401, None),
    ("auth_key of no app", Row("k", event(), key="wrong-key"), 400, None),
    ("forbidden channel name", Row("c", event(channel="a b!")), 400, None),
    (
        "encrypted channel among others",
        Row("e", {**event(), "channels": ["private-encrypted-a", "b"]}),
        400,
        None,
    ),
    ("bad body_md5", Row("m", event(), md5_of=b"other"), 401, 401),
    ("10,241 bytes of data", Row("d", event(data="x" * 10241)), 413, 413),
    ("101 channels", Row("n", {**event(), "channels": [f"c{i}" for i in range(101)]}), 400, 400),
    ("11 batch events", Row("b", {"batch": [event()] * 11}, "/apps/42/batch_events"), 400, 400),
]


async def test_differences_table(
    server: LocalServer, soketi: Soketi, http: aiohttp.ClientSession
) -> None:
    for name, row, local_status, soketi_code in ROWS:
        local = await ask(http, server.url, row)
        third = await ask(http, soketi.url, row)
        assert local.status == local_status, (name, local)
        # soketi answers every error with HTTP 200; the status is only inside the JSON body.
        assert third.status == 200, (name, third)
        assert third.soketi_code == soketi_code, (name, third)

    # A bad signature: both refuse it, but only the local server says so in the status line.
    local = await ask(http, server.url, Row("s", event()), bad_signature=True)
    third = await ask(http, soketi.url, Row("s", event()), bad_signature=True)
    assert (local.status, third.status, third.soketi_code) == (401, 200, 401)
    assert local.body.startswith("Invalid signature: you should have sent HmacSHA256Hex(")

    # Success bodies, info and keep-alive.
    info = Row("i", event(info="subscription_count"))
    local, third = await ask(http, server.url, info), await ask(http, soketi.url, info)
    assert loads(local.body) == {"channels": {"watched": {"subscription_count": 0}}}
    assert loads(third.body) == {"ok": True}
    assert local.connection is None or local.connection.lower() == "keep-alive"
    assert (third.connection or "").lower() == "close"
