"""Admission of executions: at most `max_in_flight` run at once, the next `queue_size` wait in
order, all of them within one byte budget (`max_bytes`, the task data held by the running and the
waiting together), and any beyond that are refused at once.

Pure bookkeeping with no I/O, so the stream reader can ask it without ever waiting: the engine
hands executions over under a global lock, and a reader that waits stalls the whole engine.
"""

from __future__ import annotations

from collections import deque
from enum import Enum
from typing import Generic, TypeVar

T = TypeVar("T")


class Decision(Enum):
    RUN = "run"  # a slot was free: start it now
    QUEUE = "queue"  # every slot is taken: it waits for one
    REFUSE = (
        "refuse"  # no room (slots, queue or bytes): answer at once that the service is overloaded
    )


class Admission(Generic[T]):
    """Slots and a bounded waiting line. `offer` decides for a new item; `finished` frees a
    slot, handing it straight to the oldest waiting item if there is one.

    An item is always taken when nothing else is held, whatever its size, so a budget below
    one item's size slows the service down to one at a time rather than refusing everything.
    """

    def __init__(self, *, max_in_flight: int, queue_size: int, max_bytes: int) -> None:
        if max_in_flight < 1 or queue_size < 0 or max_bytes < 0:
            raise ValueError("max_in_flight >= 1, queue_size >= 0, max_bytes >= 0")
        self.max_in_flight = max_in_flight
        self.queue_size = queue_size
        self.max_bytes = max_bytes
        self.running = 0
        self.held_bytes = 0  # of the running and the waiting
        self.waiting_bytes = 0
        self._waiting: deque[tuple[T, int]] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def offer(self, item: T, size: int = 0) -> Decision:
        """Decide for `item` (`size`: its bytes, counted against the budget until it is done)."""
        held = self.held_bytes
        if held and held + size > self.max_bytes:
            return Decision.REFUSE
        if self.running < self.max_in_flight:
            self.running += 1
            self.held_bytes = held + size
            return Decision.RUN
        if len(self._waiting) < self.queue_size:
            self._waiting.append((item, size))
            self.held_bytes = held + size
            self.waiting_bytes += size
            return Decision.QUEUE
        return Decision.REFUSE

    def finished(self, size: int = 0) -> T | None:
        """A running item (of `size` bytes) is done: the waiting item that takes its slot, or
        None (slot freed)."""
        if self.running <= 0:
            raise RuntimeError("finished() without a running item")
        self.held_bytes -= size
        if self._waiting:
            item, waited = self._waiting.popleft()
            self.waiting_bytes -= waited
            return item
        self.running -= 1
        return None

    def take_waiting(self) -> list[T]:
        """Empty the waiting line (when giving up at shutdown); the items that were in it."""
        items = [item for item, _ in self._waiting]
        self.held_bytes -= self.waiting_bytes
        self._waiting.clear()
        self.waiting_bytes = 0
        return items
