"""The third generation (v0.11.0 to v0.16.0) as mesg-js 4.0 to 5.0 met it: its four wire
variants byte for byte, and every engine answer of the protocol description's tables."""

from __future__ import annotations

import asyncio

import pytest

from mesg_pusher.engine import EngineClient
from mesg_pusher.mesg.protocol import release
from tests.engine.later import WAIT, Served, refusal, served
from tests.support.mesg_services import Task
from tests.support.mesg_wire import Field, b58decode, encode, fields_of, message, struct_fields

pytestmark = pytest.mark.integration

VARIANTS = ["v0.11.0", "v0.12.0", "v0.13.0", "v0.14.0", "v0.14.1", "v0.15.0", "v0.16.0"]


@pytest.mark.parametrize("tag", VARIANTS)
async def test_a_new_execution_reaches_the_service_in_the_release_wire_form(tag: str) -> None:
    chosen = release(tag)
    async with served(tag) as s:
        tasks = s.service.listen()
        async with asyncio.timeout(WAIT):
            assert await tasks.ready() == (("status", "ready"),)
        execution_id = await s.execute("ok", {"x": "hi"})
        async with asyncio.timeout(WAIT):
            task = await tasks.next()
        received = fields_of(task.raw)
        token = s.env["MESG_TOKEN"]
        if chosen.bytes_hashes:
            assert task.hash == b58decode(execution_id)
            instance: str | bytes = b58decode(token)
        else:
            assert task.hash == execution_id
            instance = token
        inputs = '{"x":"hi"}' if chosen.json_text else struct_fields({"x": "hi"})
        expected = message(
            (1, task.hash),
            (3, received[3][0]),  # the event hash: a hash of the stand-in's own
            (4, 2),  # InProgress
            (5, instance),
            (6, "ok"),
            (7, inputs),
            (8, "null" if chosen.json_text else None),  # Go's encoding of no outputs
        )
        assert task.raw == encode(expected)
        event_hash = received[3][0]
        assert len(event_hash if chosen.bytes_hashes else b58decode(event_hash.decode())) == 32
        tasks.cancel()


@pytest.mark.parametrize("tag", VARIANTS)
async def test_the_environment_the_engine_gives(tag: str) -> None:
    async with served(tag, env={"FOO": "baz"}) as s:
        names = list(s.env)
        expected = ["MESG_TOKEN", "MESG_ENDPOINT"]
        if tag != "v0.16.0":
            expected.append("MESG_ENDPOINT_TCP")  # removed in v0.16 (#1428)
        assert names == [*expected, "FOO"]
        assert s.env["MESG_ENDPOINT"] == s.server.address
        assert len(b58decode(s.env["MESG_TOKEN"])) == 32  # the instance hash


async def _run_one(s: Served, task: str, inputs: dict[str, object]) -> tuple[str, Task]:
    tasks = s.service.listen()
    async with asyncio.timeout(WAIT):
        await tasks.ready()
    execution_id = await s.execute(task, inputs)
    async with asyncio.timeout(WAIT):
        received = await tasks.next()
    tasks.cancel()
    return execution_id, received


async def test_v0_16_engine_answers_to_update() -> None:
    async with served("v0.16.0") as s:
        ok_id, ok = await _run_one(s, "ok", {"x": "a"})
        assert await s.service.answer(ok.hash, {"message": "sent"}) == b""
        assert s.engine.results[ok_id].data == {"message": "sent"}
        bad_id, bad = await _run_one(s, "bad", {})
        assert await s.service.answer(bad.hash, {"message": 1}) == b""  # OK: the execution fails
        assert s.engine.results[bad_id].error == (
            'service "svc" - outputs of task "bad" are invalid: value of "message" is not a string'
        )
        failed_id, failed = await _run_one(s, "ok", {"x": "b"})
        await s.service.answer(failed.hash, error="it broke")
        assert s.engine.results[failed_id].error == "it broke"
        assert await refusal(s.service.answer(ok.hash, {"message": "again"})) == (
            'Execution status error: "Completed" instead of "InProgress"'
        )
        assert await refusal(s.service.answer(failed.hash, {"message": "again"})) == (
            'Execution status error: "Failed" instead of "InProgress"'
        )
        pending_id, pending = await _run_one(s, "ok", {"x": "c"})
        assert await refusal(s.service.answer(pending.hash)) == "output not supplied"
        assert await refusal(s.service.answer(b"\x01" * 32, {"message": "x"})) == (
            "leveldb: not found"
        )
        assert pending_id in s.engine.in_progress


async def test_v0_11_invalid_outputs_fail_the_call_and_leave_the_execution() -> None:
    async with served("v0.11.0") as s:
        execution_id, task = await _run_one(s, "bad", {})
        text = await refusal(s.service.answer(task.hash, {"message": 1}))
        assert text == (
            'Outputs of task "bad" are invalid in service "svc". Value of "message" is not a string'
        )
        assert execution_id in s.engine.in_progress
        raw = s.service.unary("/api.Execution/Update", [Field(1, task.hash), Field(2, "{")])
        assert await refusal(raw) == "invalid output: unexpected end of JSON input"
        assert await refusal(s.service.answer("nope0", {"message": "x"})) == (
            "hash: invalid base58 digit ('0')"
        )
        await s.service.answer(task.hash, {"message": "fine"})
        assert await refusal(s.service.answer(task.hash, {"message": "x"})) == (
            'Execution status error: "completed" instead of "in progress"'
        )


OLD_FORM = 'Outputs of task "bad" are invalid in service "svc". Value of "message" is required'
NEW_FORM = 'service "svc" - outputs of task "bad" are invalid: value of "message" is required'


@pytest.mark.parametrize(
    ("tag", "text"), [("v0.12.0", OLD_FORM), ("v0.14.0", OLD_FORM), ("v0.14.1", NEW_FORM)]
)
async def test_from_v0_12_invalid_outputs_fail_the_execution(tag: str, text: str) -> None:
    async with served(tag) as s:
        execution_id, task = await _run_one(s, "bad", {})
        assert await s.service.answer(task.hash, {}) == b""
        assert s.engine.results[execution_id].error == text


@pytest.mark.parametrize(("tag", "null_fails"), [
    ("v0.12.0", False), ("v0.14.0", False), ("v0.14.1", True), ("v0.16.0", True),
])  # fmt: skip
async def test_a_null_output_counts_as_a_value_from_v0_14_1_to_v0_16(
    tag: str, null_fails: bool
) -> None:
    async with served(tag) as s:
        execution_id, task = await _run_one(s, "ok", {"x": "a"})
        await s.service.answer(task.hash, {"message": "sent", "extra": None})
        result = s.engine.results[execution_id]
        if null_fails:
            assert result.error == (
                'service "svc" - outputs of task "ok" are invalid: value of "extra" is not a string'
            )
        else:
            assert result.error is None
        event = s.service.emit("received", {"n": 1, "o": None})
        if null_fails:
            assert await refusal(event) == (
                'create event: data service "svc" - data of event "received" are invalid: '
                'value of "o" is not an object'
            )
        else:
            async with asyncio.timeout(WAIT):
                await event


async def test_v0_16_engine_answers_to_event_create() -> None:
    async with served("v0.16.0") as s, EngineClient(s.server.address, s.engine.release) as app:
        token = s.env["MESG_TOKEN"]
        async with app.events(token) as events:
            reply = await s.service.emit("received", {"n": 2})
            assert len(fields_of(reply)[1][0]) == 32  # the event's hash
            async with asyncio.timeout(WAIT):
                heard = await events.next_heard(0)
            assert (heard.key, heard.data) == ("received", {"n": 2.0})
        assert await refusal(s.service.emit("received", {"n": "x"})) == (
            'create event: data service "svc" - data of event "received" are invalid: '
            'value of "n" is not a number'
        )
        assert await refusal(s.service.emit("nope", {})) == (
            'create event: data service "svc" - event "nope" not found'
        )
        assert await refusal(s.service.emit("", {"n": 1})) == "create event: key missing"
        s.service.env["MESG_TOKEN"] = "2" * 44
        assert await refusal(s.service.emit("received", {"n": 1})) == (
            "create event: data leveldb: not found"
        )


async def test_v0_11_event_refusals() -> None:
    async with served("v0.11.0") as s:
        assert await refusal(s.service.emit("received", {"n": "x", "o": 1})) == (
            'create event: data Data of event "received" is invalid in service "svc". '
            'Value of "n" is not a number. Value of "o" is not an object'
        )
        assert await refusal(s.service.emit("", {})) == "create event: key missing"
        s.service.env["MESG_TOKEN"] = "0"
        assert await refusal(s.service.emit("received", {"n": 1})) == (
            "create event: instance hash: invalid base58 digit ('0')"
        )


@pytest.mark.parametrize("tag", ["v0.11.0", "v0.12.0", "v0.16.0"])
async def test_the_application_side(tag: str) -> None:
    async with served(tag) as s, EngineClient(s.server.address, s.engine.release) as app:
        token = s.env["MESG_TOKEN"]
        tasks = s.service.listen()
        async with asyncio.timeout(WAIT):
            await tasks.ready()
        async with app.results(token, task="ok") as results:
            execution_id = await app.execute(token, "ok", {"x": "hi"}, tags=["t"])
            async with asyncio.timeout(WAIT):
                task = await tasks.next()
                await s.service.answer(task.hash, {"message": "sent"})
                heard = await results.result_of(execution_id)
        assert (heard.outputs, heard.error, heard.tags) == ({"message": "sent"}, None, ("t",))
        later = tag >= "v0.14.1"
        invalid = await refusal(app.execute(token, "ok", {"x": 1}))
        unknown = await refusal(app.execute(token, "nope", {}))
        if later:
            assert invalid == (
                'service "svc" - inputs of task "ok" are invalid: value of "x" is not a string'
            )
            assert unknown == 'service "svc" - task "nope" not found'
        else:
            assert invalid == (
                'Inputs of task "ok" are invalid in service "svc". Value of "x" is not a string'
            )
            assert unknown == 'Task "nope" not found in service "svc"'
        assert await refusal(app.execute("2" * 44, "ok", {"x": "a"})) == "leveldb: not found"
        tasks.cancel()


async def test_nested_and_repeated_parameters() -> None:
    async with served("v0.16.0") as s, EngineClient(s.server.address, s.engine.release) as app:
        token = s.env["MESG_TOKEN"]
        assert await refusal(app.execute(token, "nested", {"batch": {"channel": "c"}})) == (
            'service "svc" - inputs of task "nested" are invalid: value of "batch" is not an array'
        )
        text = await refusal(
            app.execute(token, "nested", {"batch": [{"channel": "c"}, {"n": "x"}]})
        )
        assert text == (
            'service "svc" - inputs of task "nested" are invalid: value of "channel" is required\n'
            'value of "n" is not a number'
        )
        assert await app.execute(token, "nested", {"batch": [{"channel": "c", "n": 1}]})


async def test_a_stream_for_an_instance_nobody_runs_is_taken_and_stays_silent() -> None:
    async with served("v0.16.0") as s:
        s.service.env["MESG_TOKEN"] = "2" * 44
        tasks = s.service.listen()
        async with asyncio.timeout(WAIT):
            assert await tasks.ready() == (("status", "ready"),)
        await s.execute("ok", {"x": "a"})
        assert s.engine.task_listeners() == 0
        tasks.cancel()
