"""The second generation (v0.10) as mesg-js 3 met it: api.Service with hex execution hashes and
one output per task, byte for byte, with every engine answer the protocol description gives."""

from __future__ import annotations

import asyncio

import pytest

from mesg_pusher.engine import EngineClient
from tests.engine.later import WAIT, refusal, served
from tests.support.mesg_wire import Field, encode, message

pytestmark = pytest.mark.integration


async def test_a_task_reaches_the_service_in_the_wire_form_and_answers_are_checked() -> None:
    async with served("v0.10.1") as s:
        assert list(s.env) == ["MESG_TOKEN", "MESG_ENDPOINT"]  # no MESG_ENDPOINT_TCP in v0.10
        tasks = s.service.listen()
        async with asyncio.timeout(WAIT):
            assert await tasks.ready() == (("status", "ready"),)
        execution_id = await s.execute("ok", {"x": "<hi>"})
        async with asyncio.timeout(WAIT):
            task = await tasks.next()
        assert len(execution_id) == 40
        assert int(execution_id, 16) >= 0  # hex
        # inputData as Go re-encodes the inputs: keys sorted, <>& escaped
        assert task.raw == encode(
            message((1, execution_id), (2, "ok"), (3, '{"x":"\\u003chi\\u003e"}'))
        )
        # invalid outputs fail the call and leave the execution in progress
        assert await refusal(s.service.answer(task.hash, {})) == (
            'Outputs of task "ok" are invalid in service "svc". Value of "message" is required'
        )
        assert execution_id in s.engine.in_progress
        raw = s.service.unary("/api.Service/SubmitResult", [Field(1, task.hash), Field(3, "{")])
        assert await refusal(raw) == "invalid output: unexpected end of JSON input"
        # neither outputs nor error: taken, nothing done (v0.10's SubmitResult had no default)
        async with asyncio.timeout(WAIT):
            assert await s.service.unary("/api.Service/SubmitResult", [Field(1, task.hash)]) == b""
        assert execution_id in s.engine.in_progress
        assert await s.service.answer(task.hash, {"message": "sent"}) == b""
        assert s.engine.results[execution_id].data == {"message": "sent"}
        assert await refusal(s.service.answer(task.hash, {"message": "sent"})) == (
            'Execution status error: "completed" instead of "in progress"'
        )
        assert await refusal(s.service.answer("g1", {"message": "x"})) == (
            "encoding/hex: invalid byte: U+0067 'g'"
        )
        assert await refusal(s.service.answer("abc", {"message": "x"})) == (
            "encoding/hex: odd length hex string"
        )
        assert await refusal(s.service.answer("ab" * 20, {"message": "x"})) == "leveldb: not found"
        tasks.cancel()


async def test_errors_events_and_the_application_side() -> None:
    async with served("v0.10.1") as s, EngineClient(s.server.address, s.engine.release) as app:
        token = s.env["MESG_TOKEN"]
        tasks = s.service.listen()
        async with asyncio.timeout(WAIT):
            await tasks.ready()
        async with app.results(token) as results, app.events(token) as events:
            execution_id = await app.execute(token, "ok", {"x": "a"}, tags=["t"])
            async with asyncio.timeout(WAIT):
                task = await tasks.next()
                await s.service.answer(task.hash, error="it broke")
                heard = await results.result_of(execution_id)
            assert (heard.outputs, heard.error, heard.tags) == (None, "it broke", ("t",))
            await s.service.emit("received", {"n": 1})
            async with asyncio.timeout(WAIT):
                event = await events.next_heard(0)
            assert (event.key, event.data) == ("received", {"n": 1})
        assert (
            await refusal(s.service.emit("nope", {})) == 'Event "nope" not found in service "svc"'
        )
        assert await refusal(s.service.emit("received", {"o": []})) == (
            'Data of event "received" is invalid in service "svc". Value of "n" is required. '
            'Value of "o" is not an object'
        )
        assert await refusal(app.execute(token, "ok", {})) == (
            'Inputs of task "ok" are invalid in service "svc". Value of "x" is required'
        )
        assert await refusal(app.execute("nope", "ok", {"x": "a"})) == (
            "database: service nope not found"
        )
        s.service.env["MESG_TOKEN"] = "nope"
        assert await refusal(s.service.listen().next()) == "database: service nope not found"
        tasks.cancel()
