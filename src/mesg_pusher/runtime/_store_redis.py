"""The store in Redis (``--store redis://HOST:PORT/DB``), shared by every replica that names it,
through redis-py's asyncio client.

A change reads the record, applies the step here and writes with one small Lua script that
compares and sets: the script writes only when the record is still what the step was given,
else hands back what is there now, and the step is applied again to it. Two replicas can thus
never both claim a key or a body. To spare the read, the last value this process saw of a record
is taken as a guess (absent, for a new one); a wrong guess costs one more round trip. A step
that keeps the record still compares, so a decision is never made on a record that changed.

Records expire in Redis by themselves (``SET ... PX``). Every call is given `TIMEOUT` seconds
and is not retried by the client: a Redis that is down, frozen or refusing raises
`StoreUnavailable` at once, and the client reconnects on a later call once Redis is back.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Final, TypeVar

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from .._secrets import scrub
from ._store import Keep, RedisAddress, Space, Step, StoreUnavailable

R = TypeVar("R")
T = TypeVar("T")

#: Seconds a call to Redis (connecting included) may take.
TIMEOUT: Final = 1.0
#: Connections to Redis at most; a call waits up to `TIMEOUT` for one.
MAX_CONNECTIONS: Final = 32
#: Every key this service writes starts with this.
PREFIX: Final = b"mesg-pusher:"
#: How often a waiter looks at a record another replica holds.
POLL_SECONDS: Final = 0.05
#: Attempts of one change while other replicas keep changing the record first.
MAX_ATTEMPTS: Final = 16
#: Records whose last value is remembered as the next guess.
GUESSES: Final = 4096

# KEYS[1] the record; ARGV[1] the value the step was given ('' when absent), ARGV[2] what to
# do: 'keep' (compare only), 'delete', or 'set' ARGV[3] for ARGV[4] milliseconds. Returns
# {1} when done, else {0, the value now ('' when absent)}.
_COMPARE_AND_SET: Final = """
local current = redis.call('GET', KEYS[1])
if not current then current = '' end
if current ~= ARGV[1] then return {0, current} end
if ARGV[2] == 'delete' then
  redis.call('DEL', KEYS[1])
elseif ARGV[2] == 'set' then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
end
return {1}
"""


def _wall_ms() -> float:
    return time.time() * 1000


class RedisStore:
    """Records in the Redis at `address`; `wall_ms` gives the wall clock in milliseconds."""

    shared = True

    def __init__(self, address: RedisAddress, *, wall_ms: Callable[[], float] = _wall_ms) -> None:
        self.address = address
        self._wall_ms = wall_ms
        self._secrets = [s for s in (address.password, address.username) if s]
        pool = BlockingConnectionPool(
            host=address.host,
            port=address.port,
            db=address.db,
            username=address.username,
            password=address.password,
            socket_timeout=TIMEOUT,
            socket_connect_timeout=TIMEOUT,
            max_connections=MAX_CONNECTIONS,
            timeout=TIMEOUT,
            retry=Retry(NoBackoff(), 0),
        )
        self._redis = Redis(connection_pool=pool, retry=Retry(NoBackoff(), 0))
        self._compare_and_set = self._redis.register_script(_COMPARE_AND_SET)
        self._guesses: OrderedDict[bytes, bytes] = OrderedDict()

    def _unavailable(self, error: BaseException) -> StoreUnavailable:
        text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        if self._secrets:
            text = scrub(text, self._secrets)
        return StoreUnavailable(f"the store {self.address.shown} cannot be reached ({text})")

    async def change(
        self, space: Space[R], name: bytes, step: Callable[[R | None], Step[R, T]]
    ) -> T:
        key = PREFIX + space.name.encode() + b":" + name
        seen = self._guesses.get(key, b"")
        for _ in range(MAX_ATTEMPTS):
            try:
                record = space.decode(seen) if seen else None
            except ValueError:
                self._guesses.pop(key, None)
                raise StoreUnavailable(
                    f"the store {self.address.shown} holds a {space.name} record this version "
                    "cannot read"
                ) from None
            done = step(record)
            args = self._arguments(space, seen, done)
            try:
                answer = await self._compare_and_set(keys=[key], args=args)
            except (TimeoutError, RedisError, OSError) as error:
                self._guesses.pop(key, None)
                raise self._unavailable(error) from None
            if answer[0] == 1:
                mode = args[1]
                self._guess(key, args[2] if mode == b"set" else b"" if mode == b"delete" else seen)
                return done.result
            seen = bytes(answer[1])
        raise StoreUnavailable(f"the {space.name} record kept changing under this replica")

    def _arguments(self, space: Space[R], seen: bytes, done: Step[R, Any]) -> list[bytes]:
        record = done.record
        if isinstance(record, Keep):
            return [seen, b"keep", b"", b"0"]
        ttl = math.ceil(done.expires_ms - self._wall_ms())
        if record is None or ttl <= 0:
            return [seen, b"delete", b"", b"0"]
        return [seen, b"set", space.encode(record), str(ttl).encode()]

    def _guess(self, key: bytes, value: bytes) -> None:
        guesses = self._guesses
        guesses[key] = value
        guesses.move_to_end(key)
        if len(guesses) > GUESSES:
            guesses.popitem(last=False)

    async def changed(self, space: Space[R], name: bytes, within: float) -> None:
        await asyncio.sleep(min(within, POLL_SECONDS))

    def held_bytes(self, space: Space[R]) -> int:
        return 0

    async def check(self) -> str | None:
        try:
            await self._redis.ping()
        except (TimeoutError, RedisError, OSError) as error:
            return str(self._unavailable(error))
        return None

    async def close(self) -> None:
        await self._redis.aclose()
