"""The stand-in over gRPC, as a service and an application meet it: refusals as status UNKNOWN
with the engine's texts, the ready header, results on ListenResult, restarts."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import grpc
import pytest
from grpc import aio

from mesg_pusher.engine import CoreClient, Engine, EngineServer
from mesg_pusher.mesg.protocol.service_pb2 import (
    EmitEventRequest,
    ListenTaskRequest,
    SubmitResultRequest,
    TaskData,
)
from mesg_pusher.mesg.protocol.service_pb2_grpc import ServiceStub

if TYPE_CHECKING:
    from mesg_pusher.mesg.protocol.service_pb2_grpc import ServiceAsyncStub

INPUTS = {"appId": "3", "key": "k", "secret": "s", "name": "ev", "data": {"a": 1}, "channel": "c"}
#: An error output as mesg.yml declares it.
NO = '{"error":"no","kind":"input","retry":"useless"}'


@pytest.fixture
async def service_side(server: EngineServer) -> AsyncIterator[ServiceAsyncStub]:
    async with aio.insecure_channel(server.address) as channel:
        yield ServiceStub(channel)


async def _refusal(call: object) -> aio.AioRpcError:
    with pytest.raises(aio.AioRpcError) as error:
        async with asyncio.timeout(5):
            await call  # type: ignore[misc]
    assert error.value.code() == grpc.StatusCode.UNKNOWN
    return error.value


async def test_listen_task_with_an_unknown_token_ends_at_once(
    service_side: ServiceAsyncStub,
) -> None:
    call = service_side.ListenTask(ListenTaskRequest(token="wrong"))
    with pytest.raises(aio.AioRpcError) as error:
        async with asyncio.timeout(5):
            await call.read()
    assert error.value.code() == grpc.StatusCode.UNKNOWN
    assert error.value.details() == "Database services: Service with hash 'wrong' not found"


async def test_execute_task_refusals(server: EngineServer, client: CoreClient) -> None:
    token = server.token
    error = await _refusal(client.execute("nobody", "trigger", INPUTS))
    assert error.details() == "Database services: Service with hash 'nobody' not found"
    error = await _refusal(client.execute(token, "nope", INPUTS))
    assert error.details() == "Task 'nope' not found in service 'mesg-pusher'"
    error = await _refusal(client.execute(token, "trigger", dict(INPUTS, data="text")))
    assert error.details() == (
        "Inputs of task 'trigger' are invalid. Value of 'data' is not an object or array"
    )
    error = await _refusal(client.execute(token, "trigger", "{"))
    assert error.details() == "unexpected end of JSON input"
    # What Python's decoder cannot take is refused in Go's words, not as an unexpected error.
    base = json.dumps({**INPUTS, "data": "DATA"})
    for data, details in [
        ("[1e400]", "json: cannot unmarshal number 1e400 into Go value of type float64"),
        ("[" * 3000 + "]" * 3000, "invalid character '[' exceeded max depth"),
    ]:
        error = await _refusal(client.execute(token, "trigger", base.replace('"DATA"', data)))
        assert error.details() == details
    assert server.engine.in_progress == {}
    execution_id = await client.execute(token, "trigger", base.replace('"DATA"', '["\\ud800"]'))
    assert json.loads(server.engine.in_progress[execution_id].input_data)["data"] == ["\ufffd"]


async def test_a_whole_execution_as_service_and_application_see_it(
    server: EngineServer, client: CoreClient, service_side: ServiceAsyncStub
) -> None:
    listen = service_side.ListenTask(ListenTaskRequest(token=server.token))
    async with asyncio.timeout(10):
        await server.engine.wait_until(lambda: server.engine.task_listeners() == 1)
        async with client.results(server.token) as results:
            execution_id = await client.execute(server.token, "trigger", INPUTS, tags=["t1"])
            task_data = await listen.read()
            assert isinstance(task_data, TaskData)
            assert task_data.executionID == execution_id
            assert task_data.taskKey == "trigger"
            assert task_data.inputData == (
                '{"appId":"3","channel":"c","data":{"a":1},"key":"k","name":"ev","secret":"s"}'
            )
            submit = service_side.SubmitResult
            error = await _refusal(
                submit(
                    SubmitResultRequest(
                        executionID=execution_id, outputKey="done", outputData='{"message":"m"}'
                    )
                )
            )
            assert error.details() == (
                "Output 'done' of task 'trigger' not found in service 'mesg-pusher'"
            )
            error = await _refusal(
                submit(SubmitResultRequest(executionID=execution_id, outputKey="success"))
            )
            assert error.details() == "unexpected end of JSON input"
            error = await _refusal(
                submit(
                    SubmitResultRequest(
                        executionID=execution_id, outputKey="success", outputData='{"message":1}'
                    )
                )
            )
            assert error.details() == (
                "Outputs 'success' of task 'trigger' are invalid. Value of 'message' is not a "
                "string"
            )
            await submit(
                SubmitResultRequest(executionID=execution_id, outputKey="error", outputData=NO)
            )
            error = await _refusal(
                submit(
                    SubmitResultRequest(executionID=execution_id, outputKey="error", outputData=NO)
                )
            )
            assert error.details() == f"Execution {execution_id} doesn't exists"
            result = (await results.wait_for([execution_id]))[execution_id]
    listen.cancel()
    assert (result.taskKey, result.outputKey, result.outputData) == (
        "trigger",
        "error",
        NO,
    )
    assert list(result.executionTags) == ["t1"]
    assert len(results.by_execution[execution_id]) == 1


@pytest.mark.parametrize("ready_header", [False, True])
async def test_the_ready_header_is_sent_only_by_engines_from_v0_7(ready_header: bool) -> None:
    async with (
        EngineServer(Engine(ready_header=ready_header)) as server,
        aio.insecure_channel(server.address) as channel,
        CoreClient(server.address) as client,
    ):
        listen = ServiceStub(channel).ListenTask(ListenTaskRequest(token=server.token))
        async with asyncio.timeout(10):
            await server.engine.wait_until(lambda: server.engine.task_listeners() == 1)
            if ready_header:  # before any execution
                assert (await listen.initial_metadata()).get_all("status") == ["ready"]
            await client.execute(server.token, "trigger", INPUTS)
            await listen.read()
            metadata = await listen.initial_metadata()
        listen.cancel()
    assert metadata.get_all("status") == (["ready"] if ready_header else [])


async def test_result_filters(server: EngineServer, client: CoreClient) -> None:
    engine = server.engine
    async with asyncio.timeout(10):
        async with (
            client.results(server.token, task="trigger", output="error") as errors,
            client.results(server.token, tags=["x"]) as tagged,
        ):
            plain = await engine.execute(server.token, "trigger", INPUTS)
            marked = await engine.execute(server.token, "trigger", INPUTS, tags=["x", "y"])
            engine.submit_result(plain, "error", NO)
            engine.submit_result(marked, "success", '{"message":"sent"}')
            await errors.wait_for([plain])
            await tagged.wait_for([marked])
        error = await _refusal(client.results(server.token, task="nope").start())
        assert error.details() == "Task 'nope' not found in service 'mesg-pusher'"
    assert [r.executionID for r in errors.received] == [plain]
    assert [r.executionID for r in tagged.received] == [marked]


async def test_emit_event_checks_the_event_key(
    server: EngineServer, service_side: ServiceAsyncStub
) -> None:
    request = EmitEventRequest(token=server.token, eventKey="started", eventData="{}")
    error = await _refusal(service_side.EmitEvent(request))
    assert error.details() == "Event 'started' not found in service 'mesg-pusher'"


async def test_restart_cuts_connections_and_keeps_executions(server: EngineServer) -> None:
    execution_id = await server.engine.execute(server.token, "trigger", INPUTS)
    port = server.port
    async with aio.insecure_channel(server.address) as channel:
        listen = ServiceStub(channel).ListenTask(ListenTaskRequest(token=server.token))
        async with asyncio.timeout(10):
            await server.engine.wait_until(lambda: server.engine.task_listeners() == 1)
            await server.restart(downtime=0.1)
            with pytest.raises(aio.AioRpcError) as cut:
                await listen.read()
            assert cut.value.code() == grpc.StatusCode.UNAVAILABLE
            assert server.port == port
            await ServiceStub(channel).SubmitResult(
                SubmitResultRequest(
                    executionID=execution_id, outputKey="success", outputData='{"message":"m"}'
                ),
                wait_for_ready=True,
            )
    assert server.engine.results[execution_id].output_key == "success"


async def test_raw_task_messages_go_over_the_wire_as_they_are(server: EngineServer) -> None:
    async with aio.insecure_channel(server.address) as channel:
        listen = channel.unary_stream(
            "/api.Service/ListenTask",
            request_serializer=ListenTaskRequest.SerializeToString,
            response_deserializer=bytes,  # what came, undecoded
        )(ListenTaskRequest(token=server.token))
        async with asyncio.timeout(10):
            await server.engine.wait_until(lambda: server.engine.task_listeners() == 1)
            delivered = asyncio.create_task(
                server.engine.deliver_raw(server.token, b"x", b"trigger", b"\xff\xfe")
            )
            assert await listen.read() == b"\n\x01x\x12\x07trigger\x1a\x02\xff\xfe"
            await delivered
        listen.cancel()


async def test_a_frozen_engine_answers_results_once_thawed(
    server: EngineServer, service_side: ServiceAsyncStub
) -> None:
    engine = server.engine
    execution_id = await engine.execute(server.token, "trigger", INPUTS)
    engine.freeze()
    request = SubmitResultRequest(
        executionID=execution_id, outputKey="success", outputData='{"message":"m"}'
    )
    with pytest.raises(aio.AioRpcError) as error:
        await service_side.SubmitResult(request, timeout=0.3)
    assert error.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert execution_id in engine.in_progress
    engine.thaw()
    async with asyncio.timeout(10):
        # The held call may still be taken once thawed (the engine never saw its deadline),
        # in which case this one is refused as a second result.
        with contextlib.suppress(aio.AioRpcError):
            await service_side.SubmitResult(request)
    assert engine.results[execution_id].output_key == "success"
    assert len([s for s in engine.submissions if s.error is None]) == 1


async def test_events_over_the_wire_from_emit_event_to_listen_event(
    server: EngineServer, service_side: ServiceAsyncStub, client: CoreClient
) -> None:
    token = server.token
    async with (
        client.listen_events(token) as every,
        client.listen_events(token, event="member_added") as members,
    ):
        await service_side.EmitEvent(
            EmitEventRequest(
                token=token,
                eventKey="channel_occupied",
                eventData='{"channel":"c","app_key":"k","time_ms":1700000000000}',
            )
        )
        await service_side.EmitEvent(
            EmitEventRequest(
                token=token,
                eventKey="member_added",
                eventData='{"channel":"presence-c","user_id":"7","app_key":"k","time_ms":1}',
            )
        )
        async with asyncio.timeout(5):
            await every.wait_count(2)
            await members.wait_count(1)
    assert every.data() == [
        ("channel_occupied", {"channel": "c", "app_key": "k", "time_ms": 1700000000000}),
        ("member_added", {"channel": "presence-c", "user_id": "7", "app_key": "k", "time_ms": 1}),
    ]
    assert members.data() == every.data()[1:]
    error = await _refusal(client.listen_events(token, event="started").start())
    assert error.details() == "Event 'started' not found in service 'mesg-pusher'"
    request = EmitEventRequest(token=token, eventKey="channel_occupied", eventData="[]")
    error = await _refusal(service_side.EmitEvent(request))
    assert error.details() == (
        "json: cannot unmarshal array into Go value of type map[string]interface {}"
    )


async def test_a_frozen_engine_holds_emit_event_until_thawed(
    server: EngineServer, service_side: ServiceAsyncStub
) -> None:
    engine = server.engine
    engine.freeze()
    request = EmitEventRequest(
        token=server.token,
        eventKey="channel_occupied",
        eventData='{"channel":"c","app_key":"k","time_ms":1}',
    )
    with pytest.raises(aio.AioRpcError) as error:
        await service_side.EmitEvent(request, timeout=0.3)
    assert error.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED

    async def emit() -> None:
        await service_side.EmitEvent(request, timeout=10)

    held = asyncio.create_task(emit())
    async with asyncio.timeout(10):
        await engine.wait_until(lambda: engine.held >= 1)
        assert not engine.emitted()
        engine.thaw()
        await held
        # The call that timed out may be taken once thawed too: the engine may not have seen
        # its deadline.
        await engine.wait_until(lambda: len(engine.emitted()) >= 1)
    assert engine.held == 0
    assert {e.event_data for e in engine.emitted()} == {request.eventData}
