"""The strictness rows: each request is refused with Pusher's status and message, and nothing
is delivered. Requests are otherwise valid and correctly signed, so each fails for one reason."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp
import pytest

from mesg_pusher._json import dumps
from mesg_pusher.local_server import LocalServer, ServerSettings, Subscriber
from mesg_pusher.pusher._signing import canonical_query, hmac_sha256_hex

from .conftest import APP, OPTIONS


@dataclass(frozen=True)
class Row:
    name: str
    body: dict[str, object]
    path: str = "/apps/42/events"
    key: str = APP.key
    timestamp_offset: int = 0
    timestamp: str | None = None
    md5_of: bytes | None = None


def event(**overrides: object) -> dict[str, object]:
    return {"name": "e", "channel": "watched", "data": "x", **overrides}


ROWS = [
    (
        Row("stale timestamp", event(), timestamp_offset=-601),
        401,
        "Timestamp expired: Given timestamp (",
    ),
    (
        Row("5,000-digit timestamp", event(), timestamp="9" * 5000),
        401,
        "Timestamp expired: Given timestamp (",
    ),
    (Row("wrong key", event(), key="wrong-key"), 400, "Unknown auth_key"),
    (Row("bad body_md5", event(), md5_of=b"another body"), 401, "body_md5 does not match"),
    (
        Row("forbidden channel name", event(channel="watched!")),
        400,
        'Invalid channel name: channel: channel name "watched!" has the forbidden character "!"',
    ),
    (
        Row("10,241 bytes of data", event(data="x" * 10241)),
        413,
        "The data content of this event exceeds the allowed maximum (10240 bytes).",
    ),
    (
        Row(
            "101 channels",
            {"name": "e", "channels": ["watched"] + [f"c{i}" for i in range(100)], "data": "x"},
        ),
        400,
        "Too many channels: an event goes to at most 100 channels (got 101)",
    ),
    (
        Row("11 batch events", {"batch": [event() for _ in range(11)]}, "/apps/42/batch_events"),
        400,
        "Batch too large: a batch holds at most 10 events (got 11)",
    ),
]


def target(row: Row, body: bytes) -> str:
    """Signed by hand so a row can break exactly one rule (a key, a clock, an MD5)."""
    params = {
        "auth_key": row.key,
        "auth_timestamp": row.timestamp or str(int(time.time()) + row.timestamp_offset),
        "auth_version": "1.0",
        "body_md5": hashlib.md5(row.md5_of if row.md5_of is not None else body).hexdigest(),
    }
    signed = f"POST\n{row.path}\n{canonical_query(params)}"
    params["auth_signature"] = hmac_sha256_hex(APP.secret, signed)
    return f"{row.path}?{urlencode(params)}"


@pytest.mark.parametrize(("row", "status", "message"), ROWS, ids=[r[0].name for r in ROWS])
async def test_refused_like_pusher(
    server: LocalServer, http: aiohttp.ClientSession, row: Row, status: int, message: str
) -> None:
    async with await Subscriber.connect(server.ws_url, APP.key) as sub:
        await sub.subscribe("watched")
        body = dumps(row.body).encode()
        headers = {"Content-Type": "application/json"}
        async with http.post(server.url + target(row, body), data=body, headers=headers) as answer:
            text = await answer.text()
            assert answer.status == status, text
            assert answer.content_type == "text/plain"
        assert text.startswith(message)
        assert text.endswith("\n")
        # Nothing was delivered: the next thing the subscriber gets is the control event.
        control = Row("control", event(name="control"))
        control_body = dumps(control.body).encode()
        async with http.post(server.url + target(control, control_body), data=control_body) as ok:
            assert ok.status == 200
        assert (await sub.next_event()).event == "control"


async def test_dedicated_cluster_limits_are_configurable(http: aiohttp.ClientSession) -> None:
    settings = ServerSettings(
        apps=(APP,), app_options=OPTIONS, max_data_bytes=20480, max_batch_events=20
    )
    async with LocalServer(settings) as server:
        for row in (
            Row("big data", event(data="x" * 20480)),
            Row("big batch", {"batch": [event() for _ in range(20)]}, "/apps/42/batch_events"),
        ):
            body = dumps(row.body).encode()
            async with http.post(server.url + target(row, body), data=body) as answer:
                assert answer.status == 200, await answer.text()
        row = Row("too big", event(data="x" * 20481))
        body = dumps(row.body).encode()
        async with http.post(server.url + target(row, body), data=body) as answer:
            assert answer.status == 413
            assert "(20480 bytes)" in await answer.text()
