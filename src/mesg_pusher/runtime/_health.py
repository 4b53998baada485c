"""What ``GET /health`` answers: 200 while the task stream with the engine is open, else 503 with
a short reason, as JSON. Pure; the listener asks it at each request."""

from __future__ import annotations

from typing import Final

UP: Final = {"status": "up"}
DOWN: Final = {"status": "down", "reason": "the task stream with the engine is not open"}
STOPPING: Final = {"status": "stopping", "reason": "the service is stopping"}


def health(*, stream_open: bool, stopping: bool) -> tuple[int, dict[str, str]]:
    """The status and JSON body of ``GET /health``."""
    if stopping:
        return 503, STOPPING
    if stream_open:
        return 200, UP
    return 503, DOWN
