"""The first generation's gRPC edge (v0.1 to v0.9): ``api.Service`` for the service
(``ListenTask``, ``SubmitResult``, ``EmitEvent``) and ``api.Core`` for applications
(``ExecuteTask``, ``ListenResult``, ``ListenEvent``). Every `EngineError` becomes status UNKNOWN
with the engine's text. ``ListenTask`` also sends the raw bytes of `Engine.deliver_raw` as they
are, and a frozen engine holds ``SubmitResult`` and ``EmitEvent`` until thawed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from typing import Any

from ..mesg.protocol import Method, calls
from ..mesg.protocol.core_pb2 import (
    EventData,
    ExecuteTaskReply,
    ExecuteTaskRequest,
    ListenEventRequest,
    ListenResultRequest,
    ResultData,
)
from ..mesg.protocol.service_pb2 import (
    EmitEventReply,
    EmitEventRequest,
    ListenTaskRequest,
    SubmitResultReply,
    SubmitResultRequest,
    TaskData,
)
from ._grpc import Context, refuse, relay
from ._model import EngineError
from ._state import Engine


def behaviours(engine: Engine) -> dict[Method, Callable[..., Any]]:
    """What the engine does on each of the first generation's rpcs."""
    rpcs = calls(engine.release)

    async def listen_task(
        request: ListenTaskRequest, context: Context
    ) -> AsyncIterator[TaskData | bytes]:
        try:
            subscription = engine.listen_tasks(request.token)
        except EngineError as error:
            await refuse(context, error)
        async with aclosing(relay(subscription, context, ready=engine.ready_header)) as items:
            async for item in items:
                yield item

    async def submit_result(request: SubmitResultRequest, context: Context) -> SubmitResultReply:
        await engine.thawed()
        try:
            engine.submit_result(request.executionID, request.outputKey, request.outputData)
        except EngineError as error:
            await refuse(context, error)
        return SubmitResultReply()

    async def emit_event(request: EmitEventRequest, context: Context) -> EmitEventReply:
        await engine.thawed()
        try:
            engine.emit_event(request.token, request.eventKey, request.eventData)
        except EngineError as error:
            await refuse(context, error)
        return EmitEventReply()

    async def execute_task(request: ExecuteTaskRequest, context: Context) -> ExecuteTaskReply:
        try:
            execution_id = await engine.execute(
                request.serviceID, request.taskKey, request.inputData, request.executionTags
            )
        except EngineError as error:
            await refuse(context, error)
        return ExecuteTaskReply(executionID=execution_id)

    async def listen_result(
        request: ListenResultRequest, context: Context
    ) -> AsyncIterator[ResultData]:
        try:
            subscription = engine.listen_results(
                request.serviceID, request.taskFilter, request.outputFilter, request.tagFilters
            )
        except EngineError as error:
            await refuse(context, error)
        # Sent even in v0.2 mode: clients of this stand-in learn that they are subscribed.
        async with aclosing(relay(subscription, context, ready=True)) as items:
            async for item in items:
                yield item

    async def listen_event(
        request: ListenEventRequest, context: Context
    ) -> AsyncIterator[EventData]:
        try:
            subscription = engine.listen_events(request.serviceID, request.eventFilter)
        except EngineError as error:
            await refuse(context, error)
        async with aclosing(
            relay(subscription, context, ready=True)
        ) as items:  # as for ListenResult
            async for item in items:
                yield item

    return {
        rpcs["Service/ListenTask"]: listen_task,
        rpcs["Service/SubmitResult"]: submit_result,
        rpcs["Service/EmitEvent"]: emit_event,
        rpcs["Core/ExecuteTask"]: execute_task,
        rpcs["Core/ListenResult"]: listen_result,
        rpcs["Core/ListenEvent"]: listen_event,
    }
