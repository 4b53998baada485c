"""The second generation's gRPC edge (v0.10.0 to v0.10.1): ``api.Service`` (the first
generation's paths, with an execution's hex hash and a result that is outputs or an error) and
``api.Core`` for applications. Checks run in the engine's order; every `EngineError` becomes
status UNKNOWN with the engine's text."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from typing import Any

from .. import _engine_texts as words
from ..mesg.protocol import Method, calls
from ..mesg.protocol.v0_10_pb2 import (
    EmitEventReply,
    EmitEventRequest,
    EventData,
    ExecuteTaskReply,
    ExecuteTaskRequest,
    ListenEventRequest,
    ListenResultRequest,
    ListenTaskRequest,
    ResultData,
    SubmitResultReply,
    SubmitResultRequest,
    TaskData,
)
from . import _g2_wire, _hashes, _messages, _rules
from ._grpc import Context, refuse, relay
from ._model import ALL, EngineError, Snapshot, Status
from ._state import Engine


class ServiceAndCore:
    """What the engine does on each of the second generation's rpcs."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def listen_task(
        self, request: ListenTaskRequest, context: Context
    ) -> AsyncIterator[TaskData]:
        try:
            service = self.engine.service(request.token)
        except EngineError as error:
            await refuse(context, error)
        subscription = self.engine.subscribe(
            "tasks",
            service.token,
            lambda item: item.execution.token == service.token and item.result is None,
            _g2_wire.task_data,
        )
        async with aclosing(relay(subscription, context, ready=True)) as items:
            async for item in items:
                yield item

    async def submit_result(
        self, request: SubmitResultRequest, context: Context
    ) -> SubmitResultReply:
        await self.engine.thawed()
        try:
            execution_id = _hashes.decode_hex(request.executionHash).hex()
            which = request.WhichOneof("result")
            self.engine.finish(
                execution_id,
                outputs_text=request.outputData if which == "outputData" else None,
                error=request.error if which == "error" else None,
            )
        except EngineError as error:
            await refuse(context, error)
        return SubmitResultReply()

    async def emit_event(self, request: EmitEventRequest, context: Context) -> EmitEventReply:
        await self.engine.thawed()
        try:
            data = _decoded(request.eventData)
            self.engine.emit(self.engine.service(request.token), request.eventKey, data)
        except EngineError as error:
            await refuse(context, error)
        return EmitEventReply()

    async def execute_task(self, request: ExecuteTaskRequest, context: Context) -> ExecuteTaskReply:
        try:
            inputs = _decoded(request.inputData, words.CANNOT_PARSE_INPUTS)
            service = self.engine.service(request.serviceID)
            execution = await self.engine.create(
                service, request.taskKey, inputs, request.executionTags
            )
        except EngineError as error:
            await refuse(context, error)
        return ExecuteTaskReply(executionHash=execution.id)

    async def listen_result(
        self, request: ListenResultRequest, context: Context
    ) -> AsyncIterator[ResultData]:
        task = request.taskFilter
        tags = frozenset(request.tagFilters)
        try:
            service = self.engine.service(request.serviceID)
            if task not in ALL and task not in service.schema.tasks:
                raise EngineError(_rules.task_not_found(self.engine.release, service.name, task))
        except EngineError as error:
            await refuse(context, error)

        def wants(item: Snapshot) -> bool:
            return (
                item.execution.token == service.token
                and item.status in (Status.COMPLETED, Status.FAILED)
                and task in (*ALL, item.execution.task_key)
                and tags.issubset(item.execution.tags)
            )

        subscription = self.engine.subscribe("results", service.token, wants, _g2_wire.result_data)
        async with aclosing(relay(subscription, context, ready=True)) as items:
            async for item in items:
                yield item

    async def listen_event(
        self, request: ListenEventRequest, context: Context
    ) -> AsyncIterator[EventData]:
        key = request.eventFilter
        try:
            service = self.engine.service(request.serviceID)
            if key not in ALL and key not in service.schema.events:
                raise EngineError(self.engine.event_unknown(service, key))
        except EngineError as error:
            await refuse(context, error)
        subscription = self.engine.subscribe(
            "events",
            service.token,
            lambda event: event.token == service.token and key in (*ALL, event.key),
            _g2_wire.event_data,
        )
        async with aclosing(relay(subscription, context, ready=True)) as items:
            async for item in items:
                yield item

    def behaviours(self) -> dict[Method, Callable[..., Any]]:
        rpcs = calls(self.engine.release)
        return {
            rpcs["Service/ListenTask"]: self.listen_task,
            rpcs["Service/SubmitResult"]: self.submit_result,
            rpcs["Service/EmitEvent"]: self.emit_event,
            rpcs["Core/ExecuteTask"]: self.execute_task,
            rpcs["Core/ListenResult"]: self.listen_result,
            rpcs["Core/ListenEvent"]: self.listen_event,
        }


def behaviours(engine: Engine) -> dict[Method, Callable[..., Any]]:
    return ServiceAndCore(engine).behaviours()


def _decoded(text: str, wrapping: words.EngineText | None = None) -> dict[str, Any]:
    """A JSON object text as Go reads it; Go's refusal, in `wrapping` when given."""
    try:
        return _messages.decode_object(text)
    except _messages.GoJsonError as error:
        reason = str(error)
        raise EngineError(wrapping.format(reason=reason) if wrapping else reason) from None
