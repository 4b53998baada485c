"""What GET /health answers: up while the task stream is open, else down, and stopping."""

from __future__ import annotations

from mesg_pusher.runtime._health import health


def test_health() -> None:
    assert health(stream_open=True, stopping=False) == (200, {"status": "up"})
    assert health(stream_open=False, stopping=False) == (
        503,
        {"status": "down", "reason": "the task stream with the engine is not open"},
    )
    for stream_open in (True, False):
        assert health(stream_open=stream_open, stopping=True) == (
            503,
            {"status": "stopping", "reason": "the service is stopping"},
        )
