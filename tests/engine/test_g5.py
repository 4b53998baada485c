"""The fifth generation (v0.21.0 to v0.26.0) as @mesg/service 0.2 met it: a registration signed
by the engine's own key, the Runner API behind its token, tokens lost when the engine restarts,
the request checks, and applications' signed calls."""

from __future__ import annotations

import asyncio
import base64

import pytest

from mesg_pusher.engine import EngineClient, Identity, load_schema
from tests.engine.later import SVC, WAIT, refusal, served
from tests.support.mesg_services import MesgService02
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
SIGNATURE_NOT_FOUND = (
    'signature not found in metadata, make sure to set it using the key "mesg_request_signature"'
)
CREDENTIAL_NOT_FOUND = (
    'credential not found in metadata, make sure to set it using the name "mesg_credential_token"'
)
NAMES = [
    "MESG_SERVICE_HASH",
    "MESG_INSTANCE_HASH",
    "MESG_RUNNER_HASH",
    "MESG_ENDPOINT",
    "MESG_REGISTER_SIGNATURE",
    "MESG_ENV_HASH",
]


async def test_the_environment_and_the_signed_registration() -> None:
    async with served("v0.26.0") as s:
        assert list(s.env) == NAMES
        assert s.env["MESG_ENV_HASH"] == ""  # nothing customised
        assert len(base64.b64decode(s.env["MESG_REGISTER_SIGNATURE"])) == 64
        service = s.service
        assert await refusal(service.register(signature="")) == SIGNATURE_NOT_FOUND
        other = Identity().sign(b'{"serviceHash":"x"}')
        assert await refusal(service.register(signature=other)) == (
            "verification of the signature failed"
        )
        assert await refusal(service.register(signature="not base64!")) == (
            "illegal base64 data at input byte 3"
        )
        register = "/mesg.grpc.orchestrator.Runner/Register"
        signed = (("mesg_request_signature", s.env["MESG_REGISTER_SIGNATURE"]),)
        assert (
            await refusal(service.unary(register, [], signed)) == "ServiceHash is a required field"
        )
        assert await refusal(service.unary(register, [Field(1, b"\x01" * 31)], signed)) == (
            "ServiceHash must be a valid hash"
        )
        before = s.engine.chain.height()
        token = await service.register()
        assert len(b58decode(token)) == 32
        assert s.engine.chain.height() > before  # a new runner is a transaction
        assert s.engine.chain.tokens == 1


async def test_a_customised_environment_has_its_hash_and_instance() -> None:
    async with served("v0.21.0", env={"FOO": "bar"}) as s:
        assert list(s.env) == [*NAMES, "FOO"]
        assert len(b58decode(s.env["MESG_ENV_HASH"])) == 32
        assert await s.service.register()


@pytest.mark.parametrize("tag", ["v0.21.0", "v0.26.0"])
async def test_executions_results_and_events_through_the_runner_api(tag: str) -> None:
    async with served(tag) as s:
        service = s.service
        stream = service.listen()
        assert await refusal(stream.next()) == CREDENTIAL_NOT_FOUND
        service.metadata = (("mesg_credential_token", "forged"),)
        assert await refusal(service.listen().next()) == "credential token doesn't exist"
        await service.register()
        tasks = service.listen()
        async with asyncio.timeout(WAIT):
            assert await tasks.ready() == (("status", "ready"),)
        execution_id = await s.execute("ok", {"x": "hi"})
        async with asyncio.timeout(WAIT):
            task = await tasks.next()
        runner = b58decode(s.env["MESG_RUNNER_HASH"])
        block = s.engine.snapshot(execution_id).execution.block  # type: ignore[union-attr]
        received = fields_of(task.raw)
        assert task.raw == encode(message(
            (1, b58decode(execution_id)),
            (3, received[3][0]),
            (4, 2),
            (5, b58decode(s.env["MESG_INSTANCE_HASH"])),
            (6, "ok"),
            (7, struct_fields({"x": "hi"})),
            (13, runner),
            (15, block),
            (16, [Field(1, runner), Field(2, block)]),
            (17, received[17][0]),
        ))  # fmt: skip
        before = s.engine.chain.height()
        assert await service.answer(task.hash, {"message": "sent"}) == b""
        result = s.engine.results[execution_id]
        assert (result.data, result.block > before) == ({"message": "sent"}, True)
        assert await refusal(service.answer(task.hash, {"message": "sent"})) == (
            'Execution status error: "Completed" instead of "InProgress": invalid request'
        )
        unknown = b"\x05" * 32
        assert await refusal(service.answer(unknown, {"message": "x"})) == (
            f'execution "{b58encode(unknown)}" not found: invalid request'
        )
        assert await refusal(service.answer(b"", {"message": "x"})) == (
            "ExecutionHash is a required field"
        )
        pending_id = await s.execute("ok", {"x": "b"})
        async with asyncio.timeout(WAIT):
            pending = await tasks.next()
        assert await refusal(service.answer(pending.hash)) == (
            "no execution result supplied: invalid request"
        )
        assert pending_id in s.engine.in_progress
        assert await service.emit("received", {"n": 1}) == b""
        assert await refusal(service.emit("", {"n": 1})) == "Key is a required field"
        assert await refusal(service.emit("reçu", {"n": 1})) == (
            "Key must contain only printable ascii characters"
        )
        assert await refusal(service.emit("received", {"n": "1"})) == (
            'service "svc" - data of event "received" are invalid: value of "n" is not a number'
        )
        tasks.cancel()


async def test_only_the_executor_may_answer() -> None:
    async with served("v0.22.0") as s:
        other = s.engine.add_service(load_schema(SVC), env={"REPLICA": "2"})
        intruder = MesgService02(s.server.address, s.engine.environment(s.server.address, other))
        await s.service.register()
        await intruder.register()
        tasks = s.service.listen()
        async with asyncio.timeout(WAIT):
            await tasks.ready()
            execution_id = await s.execute("ok", {"x": "a"})
            task = await tasks.next()
        assert await refusal(intruder.answer(task.hash, {"message": "mine"})) == (
            f'this runner ("{other}") is not authorized to submit the result of this execution, '
            f'the executor should be "{s.env["MESG_RUNNER_HASH"]}"'
        )
        assert execution_id in s.engine.in_progress
        tasks.cancel()
        await intruder.close()


async def test_a_restarted_engine_forgets_tokens_until_the_service_registers_again() -> None:
    async with served("v0.26.0") as s:
        first = await s.service.register()
        again = await s.service.register()  # a new registration: the earlier token is gone
        assert first != again
        s.service.metadata = (("mesg_credential_token", first),)
        assert await refusal(s.service.emit("received", {"n": 1})) == (
            "credential token doesn't exist"
        )
        s.service.metadata = (("mesg_credential_token", again),)
        await s.server.restart(forget_tokens=True)
        assert await refusal(s.service.emit("received", {"n": 1})) == (
            "credential token doesn't exist"
        )
        # The runner is on the chain already: registering again is no transaction, so it does
        # not wait for a block, even an hour-long one.
        s.engine.chain.block_seconds = 3600
        async with asyncio.timeout(WAIT):
            token = await s.service.register()  # the same signature verifies again
        assert token not in (first, again)
        async with asyncio.timeout(WAIT):
            assert await s.service.emit("received", {"n": 1}) == b""


async def test_applications_sign_their_calls() -> None:
    async with served("v0.25.1") as s:
        await s.service.register()
        tasks = s.service.listen()
        async with asyncio.timeout(WAIT):
            await tasks.ready()
        runner = s.env["MESG_RUNNER_HASH"]
        stranger = EngineClient(s.server.address, s.engine.release, identity=Identity())
        async with stranger:
            assert await refusal(stranger.execute(runner, "ok", {"x": "a"})) == (
                "verification of the signature failed"
            )
        app = EngineClient(s.server.address, s.engine.release, identity=s.engine.identity)
        async with app, app.results(runner) as results, app.events(runner) as events:
            execution_id = await app.execute(runner, "ok", {"x": "a"}, tags=["t"])
            async with asyncio.timeout(WAIT):
                task = await tasks.next()
                await s.service.answer(task.hash, error="it broke")
                heard = await results.result_of(execution_id)
                await s.service.emit("received", {"n": 3})
                event = await events.next_heard(0)
            assert (heard.error, heard.outputs, heard.tags) == ("it broke", None, ("t",))
            assert (event.key, event.data) == ("received", {"n": 3.0})
            assert await refusal(app.execute(runner, "ok", {})) == (
                'service "svc" - inputs of task "ok" are invalid: value of "x" is required: '
                "invalid request"
            )
            assert await refusal(app.execute(runner, "", {})) == "TaskKey is a required field"
        tasks.cancel()
