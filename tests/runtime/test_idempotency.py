"""Idempotent publishing: the rules of a key (pure), then `IdempotentRunner` with the real task
runner publishing to a Pusher-like server on 127.0.0.1 (publishes counted at the server), in the
process's store and in a real redis-server shared by two runners as replicas share it; last, the
property that no combination of failures publishes twice when a key is given."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesg_pusher.pusher import HttpPool
from mesg_pusher.runtime._error_outputs import stopped_while_running
from mesg_pusher.runtime._idempotency import (
    ABANDONED,
    CLAIM_MS,
    KEYS,
    RUN,
    WAIT,
    Done,
    KeyRecord,
    Running,
    begin,
    decode,
    encode,
    finish,
    key_name,
    release,
    remembers,
    renew,
    start,
)
from mesg_pusher.runtime._idempotent_runs import Attempt, IdempotentRunner, Scope
from mesg_pusher.runtime._store import KEEP, Space, Store, StoreUnavailable, store_address
from mesg_pusher.runtime._store_memory import MemoryStore
from mesg_pusher.runtime._store_redis import RedisStore
from mesg_pusher.tasks import ERROR, ServiceEnvironment, TaskOutput, TaskRunner
from tests.runtime.conftest import GatedPusher, trigger_inputs
from tests.support.redis_server import RedisServer

STOPPED = stopped_while_running(publishes=True)
NOW = 1_700_000_000_000.0
WINDOW = 600_000.0
LEASE = 30_000.0
SENT = TaskOutput.success()
SAFE = TaskOutput(ERROR, {"error": "refused before sending", "kind": "network", "retry": "safe"})
UNSAFE = TaskOutput(ERROR, {"error": "timeout: may be out", "kind": "timeout", "retry": "unsafe"})


# The rules ------------------------------------------------------------------------------------


def test_a_free_key_is_claimed_confirmed_and_a_held_one_waited_for() -> None:
    claimed = begin(None, owner="a", now_ms=NOW, window_ms=WINDOW)
    # Kept a window past its lease, so that a claim abandoned is answered, never run again.
    assert (claimed.result.kind, claimed.record, claimed.expires_ms) == (
        "run",
        Running("a", NOW + CLAIM_MS),
        NOW + CLAIM_MS + WINDOW,
    )
    held = Running("a", NOW + CLAIM_MS)
    assert begin(held, owner="b", now_ms=NOW + 1, window_ms=WINDOW).result.kind == "wait"
    again = begin(held, owner="a", now_ms=NOW + 1, window_ms=WINDOW)
    assert (again.result.kind, again.record) == ("run", KEEP)  # its own claim, seen again
    confirmed = start(held, owner="a", now_ms=NOW + 5, lease_ms=LEASE, window_ms=WINDOW)
    assert (confirmed.result, confirmed.record) == (
        True,
        Running("a", NOW + 5 + LEASE, started=True),
    )
    assert confirmed.expires_ms == NOW + 5 + LEASE + WINDOW
    assert start(held, owner="b", now_ms=NOW, lease_ms=LEASE, window_ms=WINDOW).result is False
    assert start(None, owner="a", now_ms=NOW, lease_ms=LEASE, window_ms=WINDOW).result is False


def test_a_remembered_output_is_answered_and_nothing_changes() -> None:
    done = Done(SENT)
    step = begin(done, owner="b", now_ms=NOW, window_ms=WINDOW)
    assert (step.result.kind, step.result.output, step.record) == ("answer", SENT, KEEP)


def test_a_claim_never_confirmed_is_taken_over_once_its_moment_is_over() -> None:
    # Its writing got no answer: its execution answered an error and published nothing.
    lost = Running("a", NOW + CLAIM_MS)
    assert begin(lost, owner="b", now_ms=NOW + CLAIM_MS - 1, window_ms=WINDOW).result == WAIT
    taken = begin(lost, owner="b", now_ms=NOW + CLAIM_MS, window_ms=WINDOW)
    assert (taken.result, taken.record) == (RUN, Running("b", NOW + 2 * CLAIM_MS))
    assert isinstance(taken.record, Running)
    late = start(taken.record, owner="a", now_ms=NOW, lease_ms=LEASE, window_ms=WINDOW)
    assert (late.result, late.record) == (False, KEEP)  # too late: it must not run


def test_a_started_claim_whose_lease_ran_out_is_answered_abandoned_and_never_run() -> None:
    held = Running("a", NOW + LEASE, started=True)
    step = begin(held, owner="b", now_ms=NOW + LEASE, window_ms=WINDOW)
    assert (step.result.kind, step.result.output) == ("answer", ABANDONED)
    assert step.record == Done(ABANDONED)
    assert step.expires_ms == NOW + LEASE + WINDOW
    assert ABANDONED.data["retry"] == "unsafe"
    # The late owner finds its claim gone: its output is not remembered over the answer given.
    assert isinstance(step.record, Done)
    late = finish(step.record, owner="a", output=SENT, now_ms=NOW + LEASE + 1, window_ms=WINDOW)
    assert (late.result, late.record) == (False, KEEP)


def test_a_lease_is_renewed_only_by_its_owner_once_started() -> None:
    held = Running("a", NOW + LEASE, started=True)
    step = renew(held, owner="a", now_ms=NOW + 10_000, lease_ms=LEASE, window_ms=WINDOW)
    assert (step.result, step.record) == (True, Running("a", NOW + 10_000 + LEASE, True))
    assert (
        renew(Running("a", NOW), owner="a", now_ms=NOW, lease_ms=LEASE, window_ms=WINDOW).result
        is False
    )
    assert step.expires_ms == NOW + 10_000 + LEASE + WINDOW
    assert renew(held, owner="b", now_ms=NOW, lease_ms=LEASE, window_ms=WINDOW).result is False
    assert renew(None, owner="a", now_ms=NOW, lease_ms=LEASE, window_ms=WINDOW).result is False


@pytest.mark.parametrize(
    ("output", "kept"),
    [
        (SENT, True),
        (UNSAFE, True),
        (TaskOutput(ERROR, {"error": "an error that does not say"}), True),
        (TaskOutput(ERROR, {"error": "bad input", "kind": "input", "retry": "useless"}), True),
        (SAFE, False),
    ],
)
def test_an_output_is_remembered_unless_nothing_reached_pusher(
    output: TaskOutput, kept: bool
) -> None:
    assert remembers(output) is kept
    step = finish(Running("a", NOW), owner="a", output=output, now_ms=NOW, window_ms=WINDOW)
    assert step.result is True
    if kept:
        assert isinstance(step.record, Done)
        assert step.record.output == output
        assert step.expires_ms == NOW + WINDOW
    else:
        assert step.record is None  # forgotten: a later execution runs


def test_a_claim_whose_execution_never_ran_is_let_go() -> None:
    assert release(Running("a", NOW), owner="a").record is None
    assert release(Running("a", NOW), owner="b").record is KEEP
    assert release(Done(SENT), owner="a").record is KEEP


@given(
    st.one_of(
        st.builds(
            Running,
            owner=st.text(st.characters(codec="utf-8"), max_size=30),
            lease_ms=st.floats(0, 1e15),
            started=st.booleans(),
        ),
        st.builds(
            Done,
            st.builds(
                TaskOutput,
                st.text(st.characters(codec="utf-8", exclude_characters="\n"), min_size=1),
                st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=3),
            ),
        ),
    )
)
def test_a_key_record_is_read_back_as_it_was_written(record: KeyRecord) -> None:
    assert decode(encode(record)) == record


@pytest.mark.parametrize(
    "raw",
    [
        b'k1d success\n"not an object"',
        b"k1d success",
        b"k1d \n{}",
        b"",
        b"k1",
        b"k1r 1 soon a",
        b"k1r 2 1.0 a",
        b"k1r 1 1.0",
        b"b1 1 0 0 0.0 o",
        b"\xff",
    ],
)
def test_a_key_record_it_cannot_read_is_refused(raw: bytes) -> None:
    with pytest.raises(ValueError, match="record"):
        decode(raw)


def test_a_key_is_its_app_and_its_text() -> None:
    assert key_name("3", "k") == key_name("3", "k")
    assert len({key_name("3", "k"), key_name("4", "k"), key_name("3", "k2")}) == 3
    assert key_name("3", "4k") != key_name("34", "k")


def test_the_scope_reads_the_environments_app() -> None:
    environment = ServiceEnvironment.read({"PUSHER_APP_ID": "77"})
    runner = TaskRunner(HttpPool(), environment=environment)
    assert runner.idempotency_scope("trigger", {"idempotencyKey": "k"}) == ("77", "k")


# The runner, against a Pusher-like server -----------------------------------------------------


def wall_ms() -> float:
    return time.time() * 1000


@pytest.fixture
async def pool() -> AsyncIterator[HttpPool]:
    transport = HttpPool()
    yield transport
    await transport.close()


def keyed(
    runner: TaskRunner, store: Store, *, lease_ms: float = LEASE, renew_every: float = 10.0
) -> IdempotentRunner:
    return IdempotentRunner(
        runner,
        store,
        scope=runner.idempotency_scope,
        window_ms=WINDOW,
        wall_ms=wall_ms,
        lease_ms=lease_ms,
        renew_every=renew_every,
    )


async def run(
    runner: IdempotentRunner, inputs: Mapping[str, Any], task: str = "trigger"
) -> tuple[TaskOutput, Attempt]:
    attempt = Attempt()
    output = await runner.execute(task, json.dumps(inputs), attempt)
    return output, attempt


async def test_a_duplicate_at_once_waits_and_gets_the_first_ones_output(
    pusher: GatedPusher, pool: HttpPool
) -> None:
    runner = keyed(TaskRunner(pool), MemoryStore())
    inputs = trigger_inputs(pusher, idempotencyKey="order-1")
    pusher.gate.clear()
    first = asyncio.create_task(run(runner, inputs))
    second = asyncio.create_task(run(runner, inputs))
    async with asyncio.timeout(10):
        while pusher.waiting < 1:  # noqa: ASYNC110 - the server's state
            await asyncio.sleep(0.005)
    await asyncio.sleep(0.05)
    assert pusher.arrived == 1  # the second waits for the first
    pusher.gate.set()
    (one, ran), (two, replayed) = await asyncio.gather(first, second)
    assert one == two == SENT
    assert (ran.started, ran.replayed, replayed.started, replayed.replayed) == (
        True,
        False,
        False,
        True,
    )
    later, attempt = await run(runner, inputs)
    assert (later, attempt.replayed) == (SENT, True)
    assert len(pusher.accepted) == 1


async def test_keys_are_per_app_and_executions_without_one_always_run(
    pusher: GatedPusher, pool: HttpPool
) -> None:
    pusher.apps["4"] = ("other-key", "other-secret-0123456789")
    runner = keyed(TaskRunner(pool), MemoryStore())
    for inputs in (
        trigger_inputs(pusher, idempotencyKey="k"),
        {**trigger_inputs(pusher, idempotencyKey="k"), **pusher.inputs("4")},
        trigger_inputs(pusher),
        trigger_inputs(pusher),
    ):
        output, attempt = await run(runner, inputs)
        assert (output, attempt.replayed) == (SENT, False)
    assert len(pusher.accepted) == 4


async def test_an_output_that_says_nothing_was_published_lets_the_next_one_run() -> None:
    outputs = [SAFE, SENT]
    calls: list[str] = []

    class Stub:
        async def execute(self, task_key: str, input_data: Any) -> TaskOutput:
            calls.append(task_key)
            return outputs.pop(0)

    runner = IdempotentRunner(
        Stub(), MemoryStore(), scope=_scope, window_ms=WINDOW, wall_ms=wall_ms
    )
    inputs = {"appId": "3", "idempotencyKey": "k"}
    assert (await run(runner, inputs))[0] == SAFE
    assert (await run(runner, inputs))[0] == SENT
    assert (await run(runner, inputs))[0] == SENT
    assert len(calls) == 2


def _scope(task_key: str, inputs: Mapping[str, Any]) -> tuple[str, str] | None:
    key = inputs.get("idempotencyKey")
    if task_key != "trigger" or not isinstance(key, str) or not key:
        return None
    return str(inputs.get("appId", "")), key


async def test_an_execution_stopped_while_it_ran_leaves_stopped_for_its_key(
    pusher: GatedPusher, pool: HttpPool
) -> None:
    runner = keyed(TaskRunner(pool), MemoryStore())
    inputs = trigger_inputs(pusher, idempotencyKey="k")
    pusher.gate.clear()
    attempt = Attempt()
    task = asyncio.create_task(runner.execute("trigger", json.dumps(inputs), attempt))
    async with asyncio.timeout(10):
        while pusher.waiting < 1:  # noqa: ASYNC110 - the server's state
            await asyncio.sleep(0.005)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert attempt.started
    pusher.gate.set()  # the request reached Pusher: it may well be out
    output, later = await run(runner, inputs)
    assert (output, later.replayed) == (STOPPED, True)
    async with asyncio.timeout(10):
        while len(pusher.received) < 1:  # noqa: ASYNC110 - the server's state
            await asyncio.sleep(0.005)
    assert len(pusher.received) == 1  # never published again


async def test_an_execution_stopped_while_it_waited_never_ran(
    pusher: GatedPusher, pool: HttpPool
) -> None:
    runner = keyed(TaskRunner(pool), MemoryStore())
    inputs = trigger_inputs(pusher, idempotencyKey="k")
    pusher.gate.clear()
    first = asyncio.create_task(run(runner, inputs))
    attempt = Attempt()
    waiting = asyncio.create_task(runner.execute("trigger", json.dumps(inputs), attempt))
    async with asyncio.timeout(10):
        while pusher.waiting < 1:  # noqa: ASYNC110 - the server's state
            await asyncio.sleep(0.005)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert not attempt.started
    pusher.gate.set()
    assert (await first)[0] == SENT
    assert len(pusher.accepted) == 1


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.stop()


def redis_store(server: RedisServer) -> RedisStore:
    address = store_address(server.url)
    assert address is not None
    return RedisStore(address)


async def test_two_replicas_publish_a_key_once_and_both_answer_its_output(
    redis_server: RedisServer, pusher: GatedPusher, pool: HttpPool
) -> None:
    stores = [redis_store(redis_server), redis_store(redis_server)]
    replicas = [keyed(TaskRunner(pool), store) for store in stores]
    try:
        inputs = trigger_inputs(pusher, idempotencyKey="order-9")
        outputs = await asyncio.gather(*(run(replicas[n % 2], inputs) for n in range(10)))
        assert [output for output, _ in outputs] == [SENT] * 10
        assert sum(not attempt.replayed for _, attempt in outputs) == 1
        assert len(pusher.accepted) == 1
    finally:
        for store in stores:
            await store.close()


async def test_a_long_execution_keeps_its_claim_at_another_replica(
    redis_server: RedisServer, pusher: GatedPusher, pool: HttpPool
) -> None:
    stores = [redis_store(redis_server), redis_store(redis_server)]
    # A lease shorter than the execution: only its renewal keeps the key from being abandoned.
    # Renewed 15 times a lease, so that a loaded machine's stall cannot let it lapse.
    first, second = (
        keyed(TaskRunner(pool), store, lease_ms=1500, renew_every=0.1) for store in stores
    )
    try:
        inputs = trigger_inputs(pusher, idempotencyKey="slow")
        pusher.gate.clear()
        running = asyncio.create_task(run(first, inputs))
        async with asyncio.timeout(10):
            while pusher.waiting < 1:  # noqa: ASYNC110 - the server's state
                await asyncio.sleep(0.005)
        waiting = asyncio.create_task(run(second, inputs))
        await asyncio.sleep(3.2)  # two leases long, and more
        assert not waiting.done()
        pusher.gate.set()
        assert (await running)[0] == SENT
        output, attempt = await waiting
        assert (output, attempt.replayed) == (SENT, True)
        assert len(pusher.accepted) == 1
    finally:
        await first.close()
        await second.close()
        for store in stores:
            await store.close()


async def test_a_replica_gone_mid_execution_leaves_its_key_abandoned_never_run_again(
    redis_server: RedisServer, pusher: GatedPusher, pool: HttpPool
) -> None:
    store = redis_store(redis_server)
    try:
        name = key_name("3", "k")
        # What a replica that died while running leaves: a claim nobody renews.
        claim = partial(begin, owner="gone", now_ms=wall_ms(), window_ms=WINDOW)
        assert (await store.change(KEYS, name, claim)).kind == "run"
        confirm = partial(start, owner="gone", now_ms=wall_ms(), lease_ms=300, window_ms=WINDOW)
        assert await store.change(KEYS, name, confirm)
        await asyncio.sleep(0.4)
        runner = keyed(TaskRunner(pool), store)
        output, attempt = await run(runner, trigger_inputs(pusher, idempotencyKey="k"))
        assert (output, attempt.started, attempt.replayed) == (ABANDONED, False, True)
        assert pusher.received == []
    finally:
        await store.close()


async def test_without_its_store_a_keyed_execution_answers_network_safe_and_publishes_nothing(
    redis_server: RedisServer, pusher: GatedPusher, pool: HttpPool
) -> None:
    store = redis_store(redis_server)
    try:
        runner = keyed(TaskRunner(pool), store)
        redis_server.stop()
        output, attempt = await run(runner, trigger_inputs(pusher, idempotencyKey="k"))
        assert output.key == ERROR
        assert (output.data["kind"], output.data["retry"]) == ("network", "safe")
        assert output.data["error"].startswith(
            f"the store redis://127.0.0.1:{redis_server.port}/0 cannot be reached ("
        )
        assert output.data["error"].endswith(
            "; the execution has an idempotencyKey, so it was not run and nothing was published"
        )
        assert not attempt.started
        # Without a key the execution needs no store: it runs.
        assert (await run(runner, trigger_inputs(pusher)))[0] == SENT
        redis_server.start()
        assert (await run(runner, trigger_inputs(pusher, idempotencyKey="k")))[0] == SENT
        assert (await run(runner, trigger_inputs(pusher, idempotencyKey="k")))[1].replayed
        assert len(pusher.accepted) == 2
    finally:
        await store.close()


# No combination of failures publishes twice ---------------------------------------------------

BEHAVIOURS = ("sent", "unsafe", "safe", "useless", "stopped_after", "stopped_before")


@dataclass
class Flaky:
    """A store in the process that fails on the calls it is told to: before applying the step
    (Redis unreachable) or after (applied, its answer lost); time jumps at each wait."""

    inner: MemoryStore
    now: list[float]
    failing: dict[int, str]
    calls: int = 0
    shared: bool = True

    async def change(self, space: Space[Any], name: bytes, step: Any) -> Any:
        self.calls += 1
        how = self.failing.get(self.calls)
        if how == "before":
            raise StoreUnavailable("unreachable")
        result = await self.inner.change(space, name, step)
        if how == "after":
            raise StoreUnavailable("answer lost")
        return result

    async def changed(self, space: Space[Any], name: bytes, within: float) -> None:
        self.now[0] += 5_000  # a claim nobody renews runs out after a few looks
        await asyncio.sleep(0)

    def held_bytes(self, space: Space[Any]) -> int:
        return 0

    async def check(self) -> str | None:
        return None

    async def close(self) -> None:
        return None


@dataclass
class Pusher:
    """Publishes, as Pusher would, counting each event that went out."""

    published: list[str] = field(default_factory=list)

    async def execute(self, task_key: str, input_data: Any) -> TaskOutput:
        behaviour = input_data["behaviour"]
        for _ in range(input_data["ticks"]):
            await asyncio.sleep(0)
        if behaviour == "stopped_before":
            raise asyncio.CancelledError
        if behaviour in ("sent", "unsafe", "stopped_after"):
            self.published.append(input_data["idempotencyKey"])
        if behaviour == "stopped_after":
            raise asyncio.CancelledError
        return {
            "sent": SENT,
            "unsafe": UNSAFE,
            "safe": SAFE,
            "useless": TaskOutput(ERROR, {"error": "x", "kind": "input", "retry": "useless"}),
        }[behaviour]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    executions=st.lists(
        st.tuples(
            st.integers(0, 1),  # the replica
            st.sampled_from(BEHAVIOURS),
            st.integers(0, 3),  # ticks it takes
            st.integers(0, 3),  # ticks before it arrives
        ),
        min_size=1,
        max_size=8,
    ),
    failing=st.dictionaries(st.integers(1, 40), st.sampled_from(["before", "after"]), max_size=6),
)
def test_no_combination_of_failures_publishes_a_keyed_event_twice(
    executions: list[tuple[int, str, int, int]], failing: dict[int, str]
) -> None:
    now = [NOW]
    store = Flaky(MemoryStore(wall_ms=lambda: now[0]), now, failing)
    pusher = Pusher()
    scope: Scope = _scope
    replicas = [
        IdempotentRunner(
            pusher, store, scope=scope, window_ms=WINDOW, wall_ms=lambda: now[0], renew_every=3600
        )
        for _ in range(2)
    ]
    answers: list[TaskOutput | None] = []

    async def one(replica: int, behaviour: str, ticks: int, arrives: int) -> None:
        for _ in range(arrives):
            await asyncio.sleep(0)
        inputs = {"appId": "3", "idempotencyKey": "k", "behaviour": behaviour, "ticks": ticks}
        try:
            answers.append(
                await replicas[replica].execute("trigger", json.dumps(inputs), Attempt())
            )
        except asyncio.CancelledError:
            answers.append(None)  # stopped: the service answers STOPPED or NOT_STARTED

    async def all_of_them() -> None:
        async with asyncio.timeout(30):
            await asyncio.gather(*(one(*execution) for execution in executions))
        for replica in replicas:
            await replica.close()

    asyncio.run(all_of_them())
    assert len(answers) == len(executions)  # each answered
    assert len(pusher.published) <= 1
    # After a publish, every answer is that run's output, STOPPED, the abandoned claim's
    # answer or a store failure: never a fresh run's.
    if pusher.published:
        allowed = [SENT, UNSAFE, STOPPED, ABANDONED, None]
        assert all(
            answer in allowed or (answer is not None and answer.data.get("retry") == "safe")
            for answer in answers
        ), answers
