"""The store in the process (the default): no I/O, a step applied at once.

Records are kept as the bytes their space writes (`Space.encode`), as in Redis: one way of
writing them for both stores, and memory the garbage collector never has to walk, however many
keys and bodies are remembered (objects kept by the thousand made every full collection of a
busy service slower).

Each space keeps its records oldest first with their expiry, within its byte budget; a record
costs `RECORD_BYTES` besides its name and its bytes. A record under a new name must find room:
expired records go first, then a space that `evicts` forgets its oldest records that are not
`pinned` (work under way), and one that does not refuses the new record (`StoreFull`). A record
replaced may grow past the budget, so that the end of work under way is always recorded. A step
runs without awaiting anything, so no other change can come between its reading and its
writing.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Final, TypeVar

from ._store import Keep, Space, Step, StoreFull

R = TypeVar("R")
T = TypeVar("T")

#: What keeping one record costs besides its name and its bytes, at most: its place in the
#: ordered dictionary, the tuple of its expiry, cost and pin, and the objects' headers
#: (measured with tracemalloc by the tests).
RECORD_BYTES: Final = 224

#: One record: its bytes, when it expires (wall milliseconds), what it costs, whether pinned.
_Entry = tuple[bytes, float, int, bool]


def _wall_ms() -> float:
    return time.time() * 1000


class _Shelf:
    """One space's records, oldest first, and what they cost."""

    __slots__ = ("held", "records", "space", "waiters")

    def __init__(self, space: Space[Any]) -> None:
        self.space = space
        self.records: OrderedDict[bytes, _Entry] = OrderedDict()
        self.held = 0
        self.waiters: dict[bytes, asyncio.Event] = {}

    def get(self, name: bytes, now_ms: float) -> bytes | None:
        self.forget_expired(now_ms)
        entry = self.records.get(name)
        if entry is None:
            return None
        if entry[1] <= now_ms:
            self.remove(name)
            return None
        return entry[0]

    def remove(self, name: bytes) -> None:
        entry = self.records.pop(name, None)
        if entry is not None:
            self.held -= entry[2]

    def put(self, name: bytes, entry: _Entry, now_ms: float) -> None:
        """Keep `entry` under `name`. A new name must find room (see the module's docstring); a
        record replaced may grow past the budget, so that work under way is always recorded."""
        records = self.records
        old = records.get(name)
        cost = entry[2]
        if old is None and self.held + cost > self.space.max_bytes:
            self.make_room(cost, now_ms)
        if old is not None:
            self.held -= old[2]
        records[name] = entry
        records.move_to_end(name)
        self.held += cost

    def make_room(self, cost: int, now_ms: float) -> None:
        space = self.space
        gone: list[bytes] = []
        freed = 0
        for name, (_, expires_ms, held, pinned) in self.records.items():  # oldest first
            if self.held - freed + cost <= space.max_bytes:
                break
            if expires_ms <= now_ms or (space.evicts and not pinned):
                gone.append(name)
                freed += held
        for name in gone:
            self.remove(name)
        if self.held + cost > space.max_bytes and self.records:
            raise StoreFull(
                f"the memory of {space.name} is full ({space.max_bytes} bytes of records not "
                "yet due to be forgotten)"
            )

    def forget_expired(self, now_ms: float) -> None:
        # Records expire roughly in the order they were written: the oldest come first.
        records = self.records
        while records:
            name, first = next(iter(records.items()))
            if first[1] > now_ms:
                return
            del records[name]
            self.held -= first[2]

    def wake(self, name: bytes) -> None:
        waiter = self.waiters.pop(name, None)
        if waiter is not None:
            waiter.set()


class MemoryStore:
    """Every record in this process; forgotten when it stops. `wall_ms` gives the wall clock
    in milliseconds (records expire by it)."""

    shared = False

    def __init__(self, *, wall_ms: Callable[[], float] = _wall_ms) -> None:
        self._wall_ms = wall_ms
        self._shelves: dict[str, _Shelf] = {}

    def _shelf(self, space: Space[Any]) -> _Shelf:
        shelf = self._shelves.get(space.name)
        if shelf is None:
            shelf = self._shelves[space.name] = _Shelf(space)
        return shelf

    async def change(
        self, space: Space[R], name: bytes, step: Callable[[R | None], Step[R, T]]
    ) -> T:
        return self.change_now(space, name, step)

    def change_now(self, space: Space[R], name: bytes, step: Callable[[R | None], Step[R, T]]) -> T:
        """`change`, without awaiting (this store never needs to)."""
        shelf = self._shelf(space)
        now_ms = self._wall_ms()
        raw = shelf.get(name, now_ms)
        done = step(None if raw is None else space.decode(raw))
        record = done.record
        if isinstance(record, Keep):
            return done.result
        if record is None:
            shelf.remove(name)
        else:
            written = space.encode(record)
            cost = RECORD_BYTES + len(name) + len(written)
            shelf.put(name, (written, done.expires_ms, cost, space.pinned(record)), now_ms)
        shelf.wake(name)
        return done.result

    async def changed(self, space: Space[R], name: bytes, within: float) -> None:
        shelf = self._shelf(space)
        waiter = shelf.waiters.get(name)
        if waiter is None:
            waiter = shelf.waiters[name] = asyncio.Event()
        try:
            await asyncio.wait_for(waiter.wait(), within)
        except TimeoutError:
            if not waiter.is_set() and shelf.waiters.get(name) is waiter:
                del shelf.waiters[name]  # nobody else may be waiting: set again on need

    def held_bytes(self, space: Space[R]) -> int:
        shelf = self._shelves.get(space.name)
        return 0 if shelf is None else shelf.held

    def __len__(self) -> int:
        return sum(len(shelf.records) for shelf in self._shelves.values())

    async def check(self) -> str | None:
        return None

    async def close(self) -> None:
        return None
