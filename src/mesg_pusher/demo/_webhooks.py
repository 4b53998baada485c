"""The demo's other half: what subscribers do becomes MESG events. The local server sends its
webhooks to ``serve``, which emits each of their events to the engine; an application hears
them (on ``ListenEvent``, or the release's event stream) and the demo prints them.

Nothing here is a task step: the demo runs its task steps first, then this one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import Callable, Mapping
from typing import Any

from ..local_server import Subscriber
from ..pusher import App
from ._application import HeardEvents

#: The presence channel a visitor joins in this step.
ROOM = "presence-demo-lobby"
VISITOR = "demo-visitor"
#: What the visitor's arrival must make serve emit, at least.
EXPECTED = (("channel_occupied", ROOM), ("member_added", ROOM))
#: Seconds the local server waits before channel_vacated and member_removed (Pusher: about 3).
VACATED_DELAY = 1.0


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now, for serve's webhook listener (the local server must
    know the URL before serve starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def shown(key: str, data: Mapping[str, Any], heard_on: str = "ListenEvent") -> str:
    """An event as the demo prints it: its key and its data, keys in a readable order."""
    ordered = {name: data[name] for name in sorted(data, key=lambda n: n == "time_ms")}
    return f"  {heard_on} received {key}: {json.dumps(ordered, ensure_ascii=False)}"


async def visitor_joins(
    ws_url: str,
    app: App,
    events: HeardEvents,
    say: Callable[[str], None],
    *,
    within: float,
) -> int:
    """A visitor joins `ROOM`; print every event heard so far once its arrival was emitted
    (the task steps' subscriptions made some too); how many were printed. TimeoutError when
    they do not come within `within` seconds."""
    async with await Subscriber.connect(ws_url, app.key) as visitor:
        await visitor.subscribe_signed(ROOM, app, user_id=VISITOR, user_info={"name": "Visitor"})
        async with asyncio.timeout(within):
            while not _heard(events, EXPECTED):
                await events.wait_count(len(events.data()) + 1)
    heard = events.data()
    for key, data in heard:
        say(shown(key, data, events.heard_on))
    return len(heard)


def _heard(events: HeardEvents, expected: tuple[tuple[str, str], ...]) -> bool:
    seen = {(key, data.get("channel")) for key, data in events.data()}
    return all(pair in seen for pair in expected)


async def print_as_they_come(events: HeardEvents, say: Callable[[str], None], start: int) -> None:
    """Print each event from number `start` on as it arrives (``--stay``), until cancelled."""
    printed = start
    with contextlib.suppress(asyncio.CancelledError):
        while True:
            await events.wait_count(printed + 1)
            heard = events.data()
            for key, data in heard[printed:]:
                say(shown(key, data, events.heard_on))
            printed = len(heard)
