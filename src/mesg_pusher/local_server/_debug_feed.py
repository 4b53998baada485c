"""What the debug console shows: a bounded history of API messages, connections and
subscriptions, streamed to the open debug pages.

Recording is cheap when no page is open (one dict appended to a bounded deque), so a benchmark
hammering the API pays almost nothing for it. Each open page gets a bounded queue; a page that
falls behind loses its queue and reloads its state from a fresh snapshot.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any, Final

from .._json import dumps
from .._text import cut

#: Characters of an event's data shown in the console, the mark of a cut included.
DATA_PREVIEW_CHARS: Final = 300
#: Messages a page may have waiting before it is dropped as too slow.
LISTENER_QUEUE: Final = 1000


def preview(text: str) -> str:
    return cut(text, DATA_PREVIEW_CHARS - 1)


class DebugFeed:
    """History and live stream of debug records; `snapshot` gives the current state on demand."""

    def __init__(
        self, history: int, clock: Callable[[], float], snapshot: Callable[[], dict[str, Any]]
    ) -> None:
        self._log: deque[dict[str, Any]] = deque(maxlen=max(history, 1))
        self._clock = clock
        self._snapshot = snapshot
        self._listeners: set[asyncio.Queue[str | None]] = set()
        self._seq = 0
        self._state_pending = False
        self._taps: list[Callable[[dict[str, Any]], None]] = []

    def tap(self, reader: Callable[[dict[str, Any]], None]) -> None:
        """Hand every record from now on to `reader` too (the ``--log`` lines), as it is made."""
        self._taps.append(reader)

    def record(self, kind: str, **fields: Any) -> None:
        self._seq += 1
        entry = {"seq": self._seq, "time": self._clock(), "kind": kind, **fields}
        self._log.append(entry)
        for reader in self._taps:
            reader(entry)
        if self._listeners:
            self._push(dumps({"type": "log", "entry": entry}))

    def state_changed(self) -> None:
        """Connections or subscriptions changed: send pages one state soon, not one per change."""
        if not self._listeners or self._state_pending:
            return
        self._state_pending = True
        asyncio.get_running_loop().call_later(0.05, self._send_state)

    def _send_state(self) -> None:
        self._state_pending = False
        if self._listeners:
            self._push(dumps({"type": "state", "state": self._snapshot()}))

    def _push(self, text: str) -> None:
        for queue in list(self._listeners):
            try:
                queue.put_nowait(text)
            except asyncio.QueueFull:
                self._listeners.discard(queue)
                queue.get_nowait()
                queue.put_nowait(None)  # tells the page's pump to close: it was too slow

    def listen(self) -> asyncio.Queue[str | None]:
        """A queue that starts with the state and the history, then receives what follows."""
        queue: asyncio.Queue[str | None] = asyncio.Queue(LISTENER_QUEUE)
        queue.put_nowait(
            dumps({"type": "hello", "state": self._snapshot(), "log": list(self._log)})
        )
        self._listeners.add(queue)
        return queue

    def stop_listening(self, queue: asyncio.Queue[str | None]) -> None:
        self._listeners.discard(queue)

    def close(self) -> None:
        for queue in list(self._listeners):
            self._listeners.discard(queue)
            try:
                queue.put_nowait(None)
            except asyncio.QueueFull:
                queue.get_nowait()
                queue.put_nowait(None)

    @property
    def history(self) -> list[dict[str, Any]]:
        return list(self._log)
