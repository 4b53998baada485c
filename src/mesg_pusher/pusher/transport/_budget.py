"""`ConnectionBudget`: at most so many connections open at once, and the turn of each request
that waits for one.

A request takes a unit before its connection is opened and gives it back once that connection
is closed. When none is left, the budget asks its reclaimer to close an idle connection (the
longest idle, of any endpoint); failing that, the request waits its turn (first come, first
served) and tries again when a connection closes or goes idle.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable


class ConnectionBudget:
    """At most `limit` connections open at once (busy and idle). `reclaim` closes one idle
    connection and says whether it did; the unit it held then passes to the caller, so it is
    not given back."""

    def __init__(self, limit: int, reclaim: Callable[[], bool] = lambda: False) -> None:
        if limit < 1:
            raise ValueError("a connection budget is at least 1")
        self.limit = limit
        self.open = 0
        self.closed = False
        self._reclaim = reclaim
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def take_now(self) -> bool:
        """Take a unit if one is free or an idle connection can be closed for it."""
        if self.open < self.limit:
            self.open += 1
            return True
        return self._reclaim()

    async def take(self, on_turn: Callable[[], bool] | None = None) -> bool:
        """Wait until a unit is taken (True), or until `on_turn`, asked at each turn first,
        says the caller no longer needs one (False: an idle connection it can reuse came
        free), or the budget is closed (False, and `closed` says so)."""
        while True:
            if self.closed:
                return False
            if on_turn is not None and on_turn():
                return False
            if self.take_now():
                return True
            await self._wait_turn()

    def give_back(self) -> None:
        """A connection was closed: its unit is free."""
        self.open -= 1
        self.notify()

    def notify(self) -> None:
        """Something changed (a unit freed, a connection gone idle): the next waiter looks."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def close(self) -> None:
        """Wake every waiter; none takes a unit any more."""
        self.closed = True
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    async def _wait_turn(self) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.notify()  # woken but leaving: pass the turn on
            else:
                waiter.cancel()
            raise
