"""The fourth generation (v0.17.0 to v0.20.0) as @mesg/service 0.1 met it: the runner filter,
blocks, v0.17.0's credential demand, and the fields each release adds to an execution."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from mesg_pusher.engine import EngineClient, load_schema
from tests.engine.later import SVC, WAIT, Served, refusal, served
from tests.support.mesg_services import MesgService01, Task
from tests.support.mesg_wire import (
    Field,
    b58decode,
    b58encode,
    encode,
    fields_of,
    message,
    struct_fields,
)

pytestmark = pytest.mark.integration
CREDENTIALS = (("credential_username", "alice"), ("credential_passphrase", "secret words"))


@pytest.mark.parametrize("tag", ["v0.17.0", "v0.18.3", "v0.19.0", "v0.20.0"])
async def test_an_execution_for_the_runner_in_the_release_wire_form(tag: str) -> None:
    async with (
        served(tag) as s,
        EngineClient(s.server.address, s.engine.release, credentials=("alice", "secret")) as app,
    ):
        assert list(s.env) == ["MESG_INSTANCE_HASH", "MESG_RUNNER_HASH", "MESG_ENDPOINT"]
        runner = s.env["MESG_RUNNER_HASH"]
        tasks = s.service.listen()
        async with asyncio.timeout(WAIT):
            assert await tasks.ready() == (("status", "ready"),)
        before = s.engine.chain.height()
        execution_id = await app.execute(runner, "ok", {"x": "hi"})
        async with asyncio.timeout(WAIT):
            task = await tasks.next()
        execution = s.engine.snapshot(execution_id)
        assert execution is not None
        block = execution.execution.block
        assert block > before  # created by a transaction: in the block after the call
        received = fields_of(task.raw)
        fields = [
            (1, b58decode(execution_id)),
            (3, received[3][0]),
            (4, 2),
            (5, b58decode(s.env["MESG_INSTANCE_HASH"])),
            (6, "ok"),
            (7, struct_fields({"x": "hi"})),
            (13, b58decode(runner)),
        ]
        if tag >= "v0.19.0":
            fields.append((15, block))
        if tag >= "v0.20.0":
            fields.append((16, [Field(1, b58decode(runner)), Field(2, block)]))
            fields.append((17, received[17][0]))
            assert len(received[17][0]) == 20
        assert task.raw == encode(message(*fields))
        tasks.cancel()


async def test_the_runner_filter_gives_each_runner_its_own_executions() -> None:
    async with served("v0.20.0") as s:
        other = s.engine.add_service(load_schema(SVC), env={"REPLICA": "2"})
        other_env = s.engine.environment(s.server.address, other)
        assert other_env["MESG_RUNNER_HASH"] != s.env["MESG_RUNNER_HASH"]
        second = MesgService01(s.server.address, other_env)
        mine, theirs = s.service.listen(), second.listen()
        async with asyncio.timeout(WAIT):
            await mine.ready()
            await theirs.ready()
            for_me = await s.engine.execute(s.engine.token, "ok", {"x": "1"})
            for_them = await s.engine.execute(other, "ok", {"x": "2"})
            assert (await mine.next()).hash == b58decode(for_me)
            assert (await theirs.next()).hash == b58decode(for_them)
            after_me = await s.engine.execute(s.engine.token, "ok", {"x": "3"})
            assert (await mine.next()).hash == b58decode(after_me)
        mine.cancel()
        theirs.cancel()
        await second.close()


async def test_a_result_returns_once_its_block_commits_and_is_checked_there() -> None:
    async with served("v0.18.0", block_seconds=0.2) as s:
        tasks = s.service.listen()
        async with asyncio.timeout(WAIT):
            await tasks.ready()
        execution_id = await s.execute("ok", {"x": "a"})
        async with asyncio.timeout(WAIT):
            task = await tasks.next()
        before = s.engine.chain.height()
        await s.service.answer(task.hash, {"message": "sent", "extra": None})  # null: absent
        result = s.engine.results[execution_id]
        assert result.error is None
        assert result.block > before
        assert await refusal(s.service.answer(task.hash, {"message": "x"})) == (
            'Execution status error: "Completed" instead of "InProgress"'
        )
        unknown = b"\x02" * 32
        assert await refusal(s.service.answer(unknown, {"message": "x"})) == (
            f'execution "{b58encode(unknown)}" doesn\'t exist'
        )
        pending_id = await s.execute("ok", {"x": "b"})
        async with asyncio.timeout(WAIT):
            pending = await tasks.next()
        assert await refusal(s.service.answer(pending.hash)) == "no execution result supplied"
        assert pending_id in s.engine.in_progress
        tasks.cancel()


async def test_v0_17_0_alone_wants_credentials_on_update() -> None:
    async with served("v0.17.0") as s:
        tasks = s.service.listen()
        async with asyncio.timeout(WAIT):
            await tasks.ready()
        execution_id = await s.execute("ok", {"x": "a"})
        async with asyncio.timeout(WAIT):
            task = await tasks.next()
        unauthenticated = grpc.StatusCode.UNAUTHENTICATED
        update = "/mesg.api.Execution/Update"
        body = [Field(1, task.hash), Field(2, struct_fields({"message": "sent"}))]
        assert await refusal(s.service.unary(update, body), unauthenticated) == (
            "missing credential_username from metadata"
        )
        assert (
            await refusal(s.service.unary(update, body, CREDENTIALS[:1]), unauthenticated)
            == "missing credential_passphrase from metadata"
        )
        assert execution_id in s.engine.in_progress
        async with asyncio.timeout(WAIT):
            assert await s.service.unary(update, body, CREDENTIALS) == b""
        assert s.engine.results[execution_id].data == {"message": "sent"}
        tasks.cancel()
    async with served("v0.18.0") as s:
        execution_id, _ = await _answered_without_credentials(s)
        assert s.engine.results[execution_id].error is None


async def _answered_without_credentials(s: Served) -> tuple[str, Task]:
    tasks = s.service.listen()
    async with asyncio.timeout(WAIT):
        await tasks.ready()
        execution_id = await s.execute("ok", {"x": "a"})
        task = await tasks.next()
        await s.service.answer(task.hash, {"message": "sent"})
    tasks.cancel()
    return execution_id, task


async def test_events_and_application_refusals() -> None:
    async with served("v0.19.0") as s, EngineClient(s.server.address, s.engine.release) as app:
        async with app.events(s.env["MESG_RUNNER_HASH"]) as events:
            s.engine.chain.block_seconds = 3600  # an event is no transaction: it waits for no block
            async with asyncio.timeout(WAIT):
                await s.service.emit("received", {"n": 1})
                assert (await events.next_heard(0)).data == {"n": 1.0}
            s.engine.chain.block_seconds = 0.05
        assert await refusal(s.service.emit("received", {"n": "1"})) == (
            'create event: data service "svc" - data of event "received" are invalid: '
            'value of "n" is not a number'
        )
        stranger = b58encode(b"\x03" * 32)
        s.service.env["MESG_INSTANCE_HASH"] = stranger
        assert await refusal(s.service.emit("received", {"n": 1})) == (
            f'create event: data instance "{stranger}" not found'
        )
        nobody = b58encode(b"\x04" * 32)
        assert await refusal(app.execute(nobody, "ok", {"x": "a"})) == (
            f'runner "{nobody}" not found'
        )
        assert await refusal(app.execute(s.env["MESG_RUNNER_HASH"], "ok", {})) == (
            'service "svc" - inputs of task "ok" are invalid: value of "x" is required'
        )
