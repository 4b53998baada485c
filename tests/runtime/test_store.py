"""The service's store, both kinds against the same contract: in the process, and in a real
redis-server on 127.0.0.1 (shared by two stores, as replicas share it; stopped, restarted and
frozen by the test). Then what only the process's store does: its byte budgets, and what a
record costs there."""

from __future__ import annotations

import asyncio
import gc
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
import redis.asyncio

from mesg_pusher.runtime._config import ConfigError, ServeConfig, resolve
from mesg_pusher.runtime._idempotency import KEYS, Running, begin, finish, key_name
from mesg_pusher.runtime._store import (
    KEEP,
    RedisAddress,
    Space,
    Step,
    Store,
    StoreFull,
    StoreUnavailable,
    store_address,
)
from mesg_pusher.runtime._store_memory import RECORD_BYTES, MemoryStore
from mesg_pusher.runtime._store_redis import PREFIX, TIMEOUT, RedisStore
from mesg_pusher.runtime._webhook_memory import BODIES
from mesg_pusher.tasks import TaskOutput
from mesg_pusher.webhooks import ENTRY_BYTES, BodyRecord, body_digest, body_progress, claim_body
from tests.support.redis_server import RedisServer

PASSWORD = "redis-password-0123456789"


@dataclass(frozen=True)
class Note:
    text: str


def _note_space(max_bytes: int = 1000, *, evicts: bool = True) -> Space[Note]:
    return Space(
        name="notes",
        encode=lambda note: b"n" + note.text.encode(),
        decode=lambda raw: Note(raw[1:].decode()),
        max_bytes=max_bytes,
        evicts=evicts,
        pinned=lambda note: note.text.startswith("busy"),
    )


NOTES = _note_space()


def wall_ms() -> float:
    return time.time() * 1000


def put(text: str, ttl_ms: float = 60_000) -> Any:
    """A step that writes `text` whatever it finds, and returns what it found."""

    def step(found: Note | None) -> Step[Note, Note | None]:
        return Step(found, Note(text), wall_ms() + ttl_ms)

    return step


def read(found: Note | None) -> Step[Note, Note | None]:
    return Step(found)


def forget(found: Note | None) -> Step[Note, Note | None]:
    return Step(found, None)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer(password=PASSWORD).start()
    yield server
    server.stop()


def _address(server: RedisServer) -> RedisAddress:
    address = store_address(server.url)
    assert address is not None
    return address


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    server = RedisServer().start()
    try:
        chosen = RedisStore(_address(server))
        yield chosen
        await chosen.close()
    finally:
        server.stop()


# The contract, for both -----------------------------------------------------------------------


async def test_a_step_sees_what_the_last_one_kept(store: Store) -> None:
    assert await store.change(NOTES, b"a", put("one")) is None
    assert await store.change(NOTES, b"a", put("two")) == Note("one")
    assert await store.change(NOTES, b"a", read) == Note("two")
    assert await store.change(NOTES, b"a", forget) == Note("two")
    assert await store.change(NOTES, b"a", read) is None
    assert await store.change(NOTES, b"other", read) is None


async def test_a_record_is_forgotten_when_it_expires(store: Store) -> None:
    await store.change(NOTES, b"a", put("short", ttl_ms=150))
    await store.change(NOTES, b"b", put("long"))
    async with asyncio.timeout(5):
        while await store.change(NOTES, b"a", read) is not None:  # noqa: ASYNC110 - Redis's clock
            await asyncio.sleep(0.02)
    assert await store.change(NOTES, b"b", read) == Note("long")


async def test_a_step_that_keeps_writes_nothing(store: Store) -> None:
    await store.change(NOTES, b"a", put("one"))
    assert await store.change(NOTES, b"a", lambda found: Step("seen", KEEP)) == "seen"
    assert await store.change(NOTES, b"a", read) == Note("one")


async def test_one_claim_wins_among_many_at_once(store: Store) -> None:
    name = key_name("3", "order-17")
    claims = [partial(begin, owner=f"o{n}", now_ms=wall_ms(), window_ms=600_000) for n in range(20)]
    begun = await asyncio.gather(*(store.change(KEYS, name, claim) for claim in claims))
    assert sorted(b.kind for b in begun) == ["run"] + ["wait"] * 19


async def test_a_waiter_hears_of_a_change(store: Store) -> None:
    await store.change(NOTES, b"a", put("one"))
    waiter = asyncio.create_task(store.changed(NOTES, b"a", within=5.0))
    await asyncio.sleep(0.01)
    await store.change(NOTES, b"a", put("two"))
    async with asyncio.timeout(2):
        await waiter


# Redis: shared, unreachable, recovering -------------------------------------------------------


async def test_two_replicas_share_records_and_never_both_claim(redis_server: RedisServer) -> None:
    first, second = RedisStore(_address(redis_server)), RedisStore(_address(redis_server))
    try:
        name = key_name("3", "shared")
        # Each replica has seen the record absent: a guess the other replica makes stale.
        assert await first.change(KEYS, name, Step) is None
        assert await second.change(KEYS, name, Step) is None
        for round_ in range(10):
            claims = [
                store.change(
                    KEYS,
                    key_name("3", f"k{round_}"),
                    partial(begin, owner=o, now_ms=wall_ms(), window_ms=60_000),
                )
                for store, o in ((first, "a"), (second, "b"), (first, "c"), (second, "d"))
            ]
            kinds = sorted(b.kind for b in await asyncio.gather(*claims))
            assert kinds == ["run", "wait", "wait", "wait"]
        ran = await first.change(
            KEYS,
            name,
            partial(begin, owner="a", now_ms=wall_ms(), window_ms=60_000),
        )
        assert ran.kind == "run"
        output = TaskOutput.success()
        done = partial(finish, owner="a", output=output, now_ms=wall_ms(), window_ms=60_000)
        assert await first.change(KEYS, name, done)
        answered = await second.change(
            KEYS,
            name,
            partial(begin, owner="b", now_ms=wall_ms(), window_ms=60_000),
        )
        assert (answered.kind, answered.output) == ("answer", output)
    finally:
        await first.close()
        await second.close()


async def test_an_unreachable_redis_raises_at_once_and_the_store_recovers(
    redis_server: RedisServer,
) -> None:
    store = RedisStore(_address(redis_server))
    try:
        await store.change(NOTES, b"a", put("before"))
        redis_server.stop()
        started = time.monotonic()
        with pytest.raises(StoreUnavailable) as unavailable:
            await store.change(NOTES, b"a", read)
        assert time.monotonic() - started < TIMEOUT + 1
        text = str(unavailable.value)
        assert f"the store redis://***@127.0.0.1:{redis_server.port}/0 cannot be reached" in text
        assert PASSWORD not in text
        assert "cannot be reached" in (await store.check() or "")
        redis_server.start()  # the same port, an empty memory
        assert await store.change(NOTES, b"a", read) is None
        await store.change(NOTES, b"a", put("after"))
        assert await store.change(NOTES, b"a", read) == Note("after")
        assert await store.check() is None
    finally:
        await store.close()


async def test_a_frozen_redis_times_out_and_the_store_recovers(redis_server: RedisServer) -> None:
    store = RedisStore(_address(redis_server))
    try:
        await store.change(NOTES, b"a", put("kept"))
        redis_server.freeze()
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="cannot be reached"):
            await store.change(NOTES, b"a", read)
        assert time.monotonic() - started < TIMEOUT + 1
        redis_server.resume()
        async with asyncio.timeout(5):
            while True:
                try:
                    assert await store.change(NOTES, b"a", read) == Note("kept")
                    break
                except StoreUnavailable:
                    await asyncio.sleep(0.05)
    finally:
        await store.close()


async def test_a_record_this_version_cannot_read_is_refused_not_overwritten(
    redis_server: RedisServer,
) -> None:
    client = redis.asyncio.Redis(port=redis_server.port, password=PASSWORD)
    store = RedisStore(_address(redis_server))
    try:
        await client.set(PREFIX + b"keys:" + key_name("3", "k"), b"k9{}")
        claim = partial(begin, owner="a", now_ms=wall_ms(), window_ms=1)
        with pytest.raises(StoreUnavailable, match="a keys record this version cannot read"):
            await store.change(KEYS, key_name("3", "k"), claim)
        assert await client.get(PREFIX + b"keys:" + key_name("3", "k")) == b"k9{}"
    finally:
        await store.close()
        await client.aclose()


async def test_records_expire_in_redis_by_themselves(redis_server: RedisServer) -> None:
    client = redis.asyncio.Redis(port=redis_server.port, password=PASSWORD)
    store = RedisStore(_address(redis_server))
    try:
        await store.change(NOTES, b"a", put("x", ttl_ms=60_000))
        ttl = await client.pttl(PREFIX + b"notes:a")
        assert 55_000 < ttl <= 60_000
    finally:
        await store.close()
        await client.aclose()


# The process's store: budgets, costs ----------------------------------------------------------


def costs(name: bytes, text: str) -> int:
    """What a note costs in the process: the store's own part, its name, its bytes."""
    return RECORD_BYTES + len(name) + 1 + len(text)


ONE = costs(b"a", "a")  # a note of one character under a name of one


async def test_a_space_that_evicts_forgets_its_oldest_but_never_work_under_way() -> None:
    store = MemoryStore()
    space = _note_space(max_bytes=costs(b"busy-a", "busy-a") + 2 * ONE)
    for name in (b"busy-a", b"b", b"c"):
        await store.change(space, name, put(name.decode()))
    await store.change(space, b"d", put("d"))  # room made: "b" goes, "busy-a" stays
    assert [await store.change(space, n, read) is not None for n in (b"busy-a", b"b", b"d")] == [
        True,
        False,
        True,
    ]
    assert store.held_bytes(space) == costs(b"busy-a", "busy-a") + 2 * ONE


async def test_a_space_that_does_not_evict_refuses_a_new_name_but_lets_one_grow() -> None:
    store = MemoryStore()
    space = _note_space(max_bytes=2 * ONE, evicts=False)
    await store.change(space, b"a", put("a"))
    await store.change(space, b"b", put("b"))
    with pytest.raises(StoreFull, match="the memory of notes is full"):
        await store.change(space, b"c", put("c"))
    await store.change(space, b"a", put("a again"))  # a record replaced always fits
    await store.change(space, b"a", forget)
    await store.change(space, b"c", put("c"))  # room again


async def test_expired_records_make_room_first() -> None:
    now = [1_000_000.0]
    store = MemoryStore(wall_ms=lambda: now[0])
    space = _note_space(max_bytes=2 * ONE, evicts=False)

    def at(text: str, expires: float) -> Any:
        return lambda found: Step(None, Note(text), expires)

    await store.change(space, b"a", at("a", 1_000_100))
    await store.change(space, b"b", at("b", 1_000_900))
    now[0] = 1_000_500
    await store.change(space, b"c", at("c", 1_001_000))  # "a" expired: its room is taken
    assert len(store) == 2


def _grown(store: MemoryStore, steps: list[Any], space: Space[Any], names: list[bytes]) -> float:
    async def run(pairs: list[tuple[bytes, Any]]) -> None:
        for name, step in pairs:
            await store.change(space, name, step)

    pairs = list(zip(names, steps, strict=True))
    asyncio.run(run(pairs[:100]))  # the store's own first allocations
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        asyncio.run(run(pairs[100:]))
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return grown / (len(pairs) - 100)


def test_a_body_costs_what_the_store_counts_and_at_most_entry_bytes() -> None:
    """Measured: the digest made for each body, its record and its place in the memory."""
    store = MemoryStore()
    bodies = [f'{{"time_ms":{i},"events":[{i}]}}'.encode() for i in range(20_000)]
    names = [body_digest("k", body) for body in bodies]
    far = wall_ms() + 10**9

    def settled(digest: bytes, found: BodyRecord | None) -> Step[BodyRecord, None]:
        owner = "0123456789abcdef:123456"  # as long as a service's own
        _, record = claim_body(
            found, digest=digest, owner=owner, events=20, now_ms=0, in_progress_ms=10_000
        )
        assert record is not None
        _, record = body_progress(record, owner=owner, done=20, unanswered=0, release=True)
        return Step(None, record, far)

    steps = [partial(settled, name) for name in names]
    per_body = _grown(store, steps, BODIES, names)
    counted = store.held_bytes(BODIES) / len(names)
    assert per_body <= counted <= ENTRY_BYTES
    assert per_body > counted / 2  # the count is not far off either


def test_a_key_costs_what_the_store_counts() -> None:
    """Measured: the name made for each key, its output remembered and its place in memory."""
    store = MemoryStore()
    names = [key_name("3", f"order-{i}") for i in range(20_000)]
    now = wall_ms()

    def answered(found: Any) -> Step[Any, bool]:
        output = TaskOutput.success()  # each execution's own
        return finish(Running("o", now + 1e9), owner="o", output=output, now_ms=now, window_ms=1e9)

    per_key = _grown(store, [answered] * len(names), KEYS, names)
    counted = store.held_bytes(KEYS) / len(names)
    assert per_key <= counted
    assert per_key > counted / 2
    # 64 MiB hold about 230,000 keys: 380 a second for the whole default window.
    assert 64 * 1024 * 1024 / counted > 230_000


def test_records_kept_in_the_process_are_nothing_the_collector_walks() -> None:
    store = MemoryStore()
    for n in range(100):
        store.change_now(NOTES, str(n).encode(), put("x"))
    gc.collect()
    assert not any(gc.is_tracked(entry) for entry in store._shelves["notes"].records.values())


# The setting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("memory", None),
        (" MEMORY ", None),
        ("redis://localhost", RedisAddress("localhost")),
        ("redis://10.0.0.2:6380/3", RedisAddress("10.0.0.2", 6380, 3)),
        ("redis://[::1]:7000/", RedisAddress("::1", 7000, 0)),
        ("redis://:s%40cret@redis:6379/1", RedisAddress("redis", 6379, 1, None, "s@cret")),
        ("redis://user:pw@redis", RedisAddress("redis", 6379, 0, "user", "pw")),
    ],
)
def test_the_store_setting_names_memory_or_a_redis(text: str, address: RedisAddress) -> None:
    assert store_address(text) == address


@pytest.mark.parametrize(
    "text",
    [
        "",
        "redis",
        "rediss://host",
        "http://host",
        "redis://",
        "redis://host:0",
        "redis://host:70000",
        "redis://host/x",
        "redis://host/1/2",
        "redis://host?db=1",
        "redis://ho st",
    ],
)
def test_a_store_it_cannot_use_is_refused_naming_the_rule(text: str) -> None:
    with pytest.raises(ValueError, match=r"memory or redis://HOST\[:PORT\]\[/DB\]"):
        store_address(text)


def test_a_refused_store_setting_never_shows_its_password() -> None:
    environ = {"MESG_ENDPOINT_TCP": "engine:50052", "MESG_TOKEN": "t"}
    with pytest.raises(ConfigError) as refused:
        resolve({"store": "redis://:hunter2-password@host:0/1"}, environ)
    assert "hunter2" not in str(refused.value)
    assert str(refused.value).startswith("--store: memory or redis://")
    with pytest.raises(ConfigError) as refused:
        resolve({}, {**environ, "MESG_PUSHER_STORE": "redis://:hunter2-password@host/x"})
    assert "hunter2" not in str(refused.value)
    assert str(refused.value).startswith("MESG_PUSHER_STORE: ")
    config = resolve({}, {**environ, "MESG_PUSHER_STORE": "redis://:hunter2@redis:6379/2"})
    assert config.redis is not None
    assert config.redis.shown == "redis://***@redis:6379/2"
    assert ServeConfig(endpoint="e:1", token="t").store == "memory"


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("0.5", "MESG_PUSHER_IDEMPOTENCY_WINDOW: from 1 to 86400 seconds (got '0.5')"),
        ("86401", "MESG_PUSHER_IDEMPOTENCY_WINDOW: from 1 to 86400 seconds (got '86401')"),
        ("ten", "MESG_PUSHER_IDEMPOTENCY_WINDOW: 'ten' is not a number of seconds"),
    ],
)
def test_the_idempotency_window_is_a_number_of_seconds(text: str, refusal: str) -> None:
    environ = {"MESG_ENDPOINT_TCP": "engine:50052", "MESG_TOKEN": "t"}
    assert resolve({}, environ).idempotency_window == 600.0
    assert resolve({"idempotency_window": "60"}, environ).idempotency_window == 60.0
    with pytest.raises(ConfigError) as refused:
        resolve({}, {**environ, "MESG_PUSHER_IDEMPOTENCY_WINDOW": text})
    assert str(refused.value) == refusal
