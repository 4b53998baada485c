"""Replicas of ``mesg-pusher serve`` as processes sharing one store, a real redis-server on
127.0.0.1: a keyed execution that reaches both (the engine hands every execution to every
listener of the service) is published once, a webhook retried at the other replica is emitted
once, a restarted service remembers what the stopped one did, and a Redis that goes away (stopped,
then frozen) loses nothing: what needs it answers ``error`` kind network retry safe or 503
meanwhile, and serve recovers when it is back. Publishes are counted at a Pusher-like server,
events at the engine stand-in."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import signal
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from mesg_pusher.engine import Engine, EngineServer
from tests.runtime.conftest import WAIT, trigger_inputs, until
from tests.runtime.generations import assert_answered_once
from tests.runtime.test_process import ServeProcess, engine_env, serve
from tests.support.exactly_once import check_emitted
from tests.support.fake_pusher import FakePusher
from tests.support.processes import free_port
from tests.support.redis_server import RedisServer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KEY, SECRET = "278d425bdf160c739803", "7ad3773142a6692b25b8"


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class Replica:
    """One serve process and its webhook address."""

    def __init__(self, process: ServeProcess, port: int) -> None:
        self.process = process
        self.url = f"http://127.0.0.1:{port}/webhooks"


async def start_replica(
    stack: AsyncExitStack, tmp_path: Path, server: EngineServer, store: str
) -> Replica:
    port = free_port()
    env = {
        **engine_env(server),
        "MESG_PUSHER_STORE": store,
        "MESG_PUSHER_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
        "PUSHER_APP_KEY": KEY,
        "PUSHER_APP_SECRET": SECRET,
    }
    listeners = server.engine.task_listeners()
    process = await stack.enter_async_context(serve(tmp_path, env, "--submit-timeout", "1"))
    try:
        await until(lambda: server.engine.task_listeners() > listeners)
    except TimeoutError:
        raise AssertionError(f"serve never listened; its log:\n{process.log()}") from None
    return Replica(process, port)


async def stop_replica(replica: Replica) -> str:
    replica.process.send(signal.SIGTERM)
    assert await replica.process.exit_status() == 0, replica.process.log()
    return replica.process.log()


def body_of(*channels: str) -> bytes:
    events = [{"name": "channel_occupied", "channel": channel} for channel in channels]
    return json.dumps({"time_ms": int(time.time() * 1000), "events": events}).encode()


async def post(http: aiohttp.ClientSession, replica: Replica, body: bytes) -> tuple[int, Any]:
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"X-Pusher-Key": KEY, "X-Pusher-Signature": signature}
    async with asyncio.timeout(WAIT):
        async with http.post(replica.url, data=body, headers=headers) as answer:
            return answer.status, await answer.json(content_type=None)


def emitted(engine: Engine) -> list[str]:
    return [json.loads(e.event_data)["channel"] for e in engine.emitted()]


async def execute(engine: Engine, inputs: dict[str, Any]) -> dict[str, Any]:
    """One execution, answered: its output key and data."""
    execution = await engine.execute(engine.token, "trigger", inputs)
    await until(lambda: execution in engine.results)
    result = engine.results[execution]
    return {"output": result.output_key, **result.data}


async def test_two_replicas_publish_a_keyed_event_once_and_emit_a_retried_webhook_once(
    tmp_path: Path,
    engine_server: EngineServer,
    fake_pusher: FakePusher,
    redis_server: RedisServer,
    http: aiohttp.ClientSession,
) -> None:
    engine = engine_server.engine
    async with AsyncExitStack() as stack:
        first = await start_replica(stack, tmp_path, engine_server, redis_server.url)
        second = await start_replica(stack, tmp_path, engine_server, redis_server.url)
        # Every execution reaches both replicas: with a key, one publishes, both answer it.
        ids = [
            await engine.execute(
                engine.token, "trigger", trigger_inputs(fake_pusher, idempotencyKey=f"k{n}")
            )
            for n in range(10)
        ]
        ids.append(
            await engine.execute(
                engine.token, "trigger", trigger_inputs(fake_pusher, idempotencyKey="k0")
            )
        )
        await until(lambda: all(i in engine.results for i in ids))
        await until(lambda: len(engine.submissions) == 2 * len(ids))  # both replicas answered
        # A webhook emitted by one replica, retried at the other: emitted once.
        body = body_of("a", "b")
        assert await post(http, first, body) == (200, {})
        assert await post(http, second, body) == (200, {})
        logs = [await stop_replica(first), await stop_replica(second)]
    assert len(fake_pusher.accepted) == 10
    assert {engine.results[i].output_key for i in ids} == {"success"}
    assert_answered_once(engine, ids)
    check_emitted(["a", "b"], emitted(engine))
    assert sum('"outcome": "duplicate"' in log or "outcome=duplicate" in log for log in logs) == 1


async def test_a_restarted_service_with_the_same_store_publishes_and_emits_nothing_again(
    tmp_path: Path,
    engine_server: EngineServer,
    fake_pusher: FakePusher,
    redis_server: RedisServer,
    http: aiohttp.ClientSession,
) -> None:
    engine = engine_server.engine
    inputs = trigger_inputs(fake_pusher, idempotencyKey="order-1")
    body = body_of("x", "y", "z")
    async with AsyncExitStack() as stack:
        before = await start_replica(stack, tmp_path, engine_server, redis_server.url)
        assert (await execute(engine, inputs))["output"] == "success"
        assert await post(http, before, body) == (200, {})
        await stop_replica(before)
        after = await start_replica(stack, tmp_path, engine_server, redis_server.url)
        assert await execute(engine, inputs) == {"output": "success", "message": "sent"}
        assert await post(http, after, body) == (200, {})
        await stop_replica(after)
    assert len(fake_pusher.accepted) == 1
    check_emitted(["x", "y", "z"], emitted(engine))
    assert "executions_replayed" not in after.process.log()  # a counter, not a log line
    assert "replayed=1" in after.process.log() or '"replayed": 1' in after.process.log()


async def test_redis_stopped_then_frozen_mid_run_loses_nothing_and_serve_recovers(
    tmp_path: Path,
    engine_server: EngineServer,
    fake_pusher: FakePusher,
    redis_server: RedisServer,
    http: aiohttp.ClientSession,
) -> None:
    engine = engine_server.engine
    async with AsyncExitStack() as stack:
        replica = await start_replica(stack, tmp_path, engine_server, redis_server.url)
        assert (await execute(engine, trigger_inputs(fake_pusher, idempotencyKey="k1")))[
            "output"
        ] == "success"
        assert await post(http, replica, body_of("b1-1", "b1-2")) == (200, {})
        for outage, key, body in (
            ("stopped", "k2", body_of("b2-1", "b2-2")),
            ("frozen", "k3", body_of("b3-1", "b3-2")),
        ):
            inputs = trigger_inputs(fake_pusher, idempotencyKey=key)
            if outage == "stopped":
                redis_server.stop()
            else:
                redis_server.freeze()
            answer = await execute(engine, inputs)
            assert (answer["output"], answer["kind"], answer["retry"]) == (
                "error",
                "network",
                "safe",
            )
            assert await post(http, replica, body) == (
                503,
                {"error": "the service's store is unreachable; retry later"},
            )
            # What needs no store goes on.
            assert (await execute(engine, trigger_inputs(fake_pusher)))["output"] == "success"
            if outage == "stopped":
                redis_server.start()  # the same port, an empty memory
            else:
                redis_server.resume()
            # As a workflow retries a safe failure, and Pusher a 503: each goes out once.
            async with asyncio.timeout(WAIT):
                while (await execute(engine, inputs))["output"] != "success":  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
                while (await post(http, replica, body))[0] != 200:  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
            # A duplicate, answered from memory.
            assert await execute(engine, inputs) == {"output": "success", "message": "sent"}
            assert await post(http, replica, body) == (200, {})
        log = await stop_replica(replica)
    # k1, then k2 and k3 once each after their outage; and the two executions without a key.
    assert len(fake_pusher.accepted) == 5
    check_emitted([f"{b}-{n}" for b in ("b1", "b2", "b3") for n in (1, 2)], emitted(engine))
    assert "cannot be reached" in log
    assert "outcome=store_unreachable" in log
