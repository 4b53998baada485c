"""Webhooks becoming events, as the bench measures them: through serve's listener and the bare
handler (the stand-in in this process), and through serve's receiver in process; every webhook
answered 200 and every event accepted by the engine stand-in."""

from __future__ import annotations

import argparse
import json
import math

import pytest

from bench import _webhooks
from mesg_pusher.pusher import webhook_signature

pytestmark = pytest.mark.integration


def _args(target: str, rate: float = 0.0) -> argparse.Namespace:
    return argparse.Namespace(
        target=target,
        rate=rate,
        concurrency=4,
        count=20,
        warmup=5,
        seconds=20.0,  # a bound only: the count ends each load
    )


@pytest.mark.parametrize("target", ["serve", "floor", "receiver", "emit"])
async def test_every_webhook_is_answered_200_and_its_event_counted(target: str) -> None:
    sample = await _webhooks.run(_args(target))
    assert (sample.count, sample.errors, sample.extra["unanswered"]) == (20, 0, 0)
    assert sample.extra["refused"] == 0
    assert sample.extra["service_cores"] >= 0  # the CPU clock ticks in 10 ms steps
    assert math.isnan(sample.extra["offered"])


async def test_serve_at_a_rate() -> None:
    sample = await _webhooks.run(_args("serve", rate=200.0))
    assert (sample.count, sample.errors, sample.extra["unanswered"]) == (20, 0, 0)
    assert sample.extra["offered"] == 200.0
    assert 0 < sample.extra["p50_ms"] <= sample.extra["p99_ms"]


def test_each_body_is_a_webhook_of_its_own_signed_as_pusher_signs() -> None:
    first, second = _webhooks.body(0, 1700000000000), _webhooks.body(1, 1700000000000)
    assert first != second
    assert json.loads(first) == {
        "time_ms": 1700000000000,
        "events": [{"name": "channel_occupied", "channel": "bench-0-0"}],
    }
    request = _webhooks.post("127.0.0.1", 3000, "/webhooks", first)
    head, _, data = request.partition(b"\r\n\r\n")
    assert data == first
    assert f"X-Pusher-Signature: {webhook_signature(_webhooks.SECRET, first)}".encode() in head
    assert f"Content-Length: {len(first)}".encode() in head
