"""The service's store: what serve remembers beyond one execution or one webhook, kept in the
process (`MemoryStore`, ``_store_memory.py``) or in Redis (`RedisStore`, ``_store_redis.py``) so
that replicas and a restarted service share it.

Two memories live in it, each a `Space`: idempotency keys (``_idempotency.py``) and webhook
bodies with their progress (``mesg_pusher.webhooks``' replay rules). The store decides nothing:
every change is a pure function of the record it finds (`Step`), applied atomically, so the
same rules hold in the process and across replicas. In Redis the step runs here and the write
is a compare-and-set: when another replica changed the record first, the step is applied again
to what it wrote.

A store that cannot be reached raises `StoreUnavailable`: whoever needed it answers so (an
execution with an ``error`` output whose ``retry`` is ``safe``, a webhook with 503), and never
goes on as if it had been asked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Generic, Protocol, TypeVar
from urllib.parse import unquote, urlsplit

from .._errors import MesgPusherError

R = TypeVar("R")
T = TypeVar("T")

#: The value of ``--store`` that keeps everything in the process (the default).
MEMORY: Final = "memory"
REDIS_PORT: Final = 6379
#: Redis databases are numbered from 0; servers have 16 unless configured otherwise.
MAX_REDIS_DB: Final = 1 << 20
_HOST_NAME = re.compile(r"[A-Za-z0-9_.-]+")


class StoreUnavailable(MesgPusherError):
    """The store could not be reached or refused a change; nothing was decided. The message
    never shows the store's password."""


class StoreFull(MesgPusherError):
    """The store's memory for a space is full of records that may not be forgotten yet."""


class Keep:
    """A step that leaves the record as it is (`KEEP`)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = Keep()


@dataclass(frozen=True, slots=True)
class Step(Generic[R, T]):
    """What a change decided from the record it found: its `result`, and what to keep: a new
    `record` forgotten at `expires_ms` (wall clock), `KEEP`, or None to forget it now."""

    result: T
    record: R | Keep | None = KEEP
    expires_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class Space(Generic[R]):
    """One kind of record: its `name` (part of its Redis keys), how it is written as bytes
    (`decode` raises ValueError for bytes it cannot read), the memory it may take in the process
    (`max_bytes`), and whether the oldest records are forgotten to make room (`evicts`) or a new
    one is refused (`StoreFull`). Records for which `pinned` holds (work under way) are never
    forgotten for room."""

    name: str
    encode: Callable[[R], bytes]
    decode: Callable[[bytes], R]
    max_bytes: int
    evicts: bool
    pinned: Callable[[R], bool]


class Store(Protocol):
    """Records by space and name, changed one step at a time."""

    #: Whether other processes share the records (then a claim is held by renewing a lease).
    shared: bool

    async def change(
        self, space: Space[R], name: bytes, step: Callable[[R | None], Step[R, T]]
    ) -> T:
        """Apply `step` to the record `name` of `space` (None when there is none) atomically,
        and return its result; `StoreUnavailable` (or `StoreFull`) when it cannot."""
        ...

    async def changed(self, space: Space[R], name: bytes, within: float) -> None:
        """Return once the record may have changed, or after `within` seconds."""
        ...

    def held_bytes(self, space: Space[R]) -> int:
        """What `space`'s records cost this process's memory at most (0 in Redis)."""
        ...

    async def check(self) -> str | None:
        """None when the store answers, else why not (for the start's log line)."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class RedisAddress:
    """Where a Redis store is: host, port, database number, and an optional user name and
    password (never shown: `shown` hides them)."""

    host: str
    port: int = REDIS_PORT
    db: int = 0
    username: str | None = None
    password: str | None = None

    @property
    def shown(self) -> str:
        """The address as a log line may show it: credentials replaced by ``***``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        credentials = "***@" if self.username or self.password else ""
        return f"redis://{credentials}{host}:{self.port}/{self.db}"


def store_address(text: str) -> RedisAddress | None:
    """The store ``--store`` names: None for ``memory``, else ``redis://[[USER]:PASSWORD@]HOST
    [:PORT][/DB]``; ValueError saying which rule `text` breaks (never quoting a password)."""
    value = text.strip()
    if value.lower() == MEMORY:
        return None
    rule = "memory or redis://HOST[:PORT][/DB] (port 1 to 65535, DB a whole number)"
    if not value.lower().startswith("redis://"):
        raise ValueError(rule)
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ValueError(rule) from None
    host = parts.hostname or ""
    if not host or not (_HOST_NAME.fullmatch(host) or ":" in host):
        raise ValueError(rule)
    if parts.query or parts.fragment:
        raise ValueError(rule)
    path = parts.path.strip("/")
    if path and not (path.isascii() and path.isdigit() and int(path) <= MAX_REDIS_DB):
        raise ValueError(rule)
    if port == 0:
        raise ValueError(rule)
    return RedisAddress(
        host=host,
        port=port or REDIS_PORT,
        db=int(path) if path else 0,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )
