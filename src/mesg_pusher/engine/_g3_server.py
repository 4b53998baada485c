"""The third generation's gRPC edge (v0.11.0 to v0.16.0): ``[mesg.]api.Execution`` (``Stream``
and ``Update`` for the service, ``Create`` and ``Get`` for applications) and
``[mesg.]api.Event`` (``Create`` for the service, ``Stream`` for applications), in the
release's wire variant. Checks run in the engine's order (server/grpc/api/*.go, sdk/*); every
`EngineError` becomes status UNKNOWN with the engine's text. Nothing here authenticates: no
engine of this generation did.

`ExecutionApi` is a class so that the fourth generation's edge (`_g4_server`), which kept
these rpcs and changed a few of them, can say only what changed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from typing import Any

from google.protobuf.message import Message

from .. import _engine_texts as words
from ..mesg.protocol import Method, calls
from . import _g3_wire as wire
from ._grpc import Context, refuse, relay
from ._model import CreatedExecution, EngineError
from ._services import ServiceRecord
from ._state import Engine


class ExecutionApi:
    """What the engine does on each rpc of the Execution and Event APIs."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.release = engine.release
        self.messages = wire.messages(engine.release)

    def behaviours(self) -> dict[Method, Callable[..., Any]]:
        rpcs = calls(self.release)
        return {
            rpcs["Execution/Create"]: self.create,
            rpcs["Execution/Get"]: self.get,
            rpcs["Execution/Stream"]: self.stream,
            rpcs["Execution/Update"]: self.update,
            rpcs["Event/Create"]: self.create_event,
            rpcs["Event/Stream"]: self.stream_events,
        }

    # The service's side ---------------------------------------------------------------------

    async def stream(self, request: Any, context: Context) -> AsyncIterator[Message]:
        """Executions as they are created and answered, those the filter takes; a service asks
        for its instance's (or runner's) executions in progress. No check that they exist."""
        wanted = request.filter if request.HasField("filter") else None
        try:
            wants = wire.execution_filter(self.release, wanted)
            service = self.streamed_service(wanted)
        except EngineError as error:
            await refuse(context, error)
        kind = "tasks" if service is not None and wire.only_in_progress(wanted) else "executions"
        subscription = self.engine.subscribe(
            kind,
            service.token if service is not None else "",
            wants,
            lambda item: wire.execution_message(self.release, item),
        )
        async with aclosing(relay(subscription, context, ready=True)) as items:
            async for item in items:
                yield item

    def streamed_service(self, wanted: Any) -> ServiceRecord | None:
        """The service a stream's filter names, if it names one the engine runs."""
        instance = wire.filter_hash(self.release, wanted, "instanceHash")
        return self.engine.by_hash("instance", instance)

    async def update(self, request: Any, context: Context) -> Any:
        await self.engine.thawed()
        try:
            await self.answer(request, context)
        except EngineError as error:
            await refuse(context, error)
        return self.messages.UpdateExecutionResponse()

    async def answer(self, request: Any, context: Context) -> None:
        """An execution's result: outputs (JSON text in v0.11) or an error."""
        execution_id = wire.execution_id(self.release, request.hash)
        which = request.WhichOneof("result")
        if which == "outputs" and self.release.json_text:
            self.engine.finish(execution_id, outputs_text=request.outputs)
        elif which == "outputs":
            self.engine.finish(execution_id, outputs=wire.data_in(self.release, request, "outputs"))
        else:
            self.engine.finish(execution_id, error=request.error if which == "error" else None)

    async def create_event(self, request: Any, context: Context) -> Any:
        await self.engine.thawed()
        try:
            instance, key, data = self.event_request(request)
            service = self.event_service(instance)
            try:
                event = self.engine.emit(service, key, data)
            except EngineError as error:
                raise EngineError(words.CREATE_EVENT_DATA.format(reason=str(error))) from None
        except EngineError as error:
            await refuse(context, error)
        return self.messages.CreateEventResponse(hash=wire.hash_out(self.release, event.hash))

    def event_request(self, request: Any) -> tuple[bytes, str, dict[str, Any] | None]:
        """An event's instance, key and data, read in the server's order: the instance hash
        (v0.11 to v0.13 decode it), the key, the data."""
        raw = request.instanceHash
        instance = raw
        if not self.release.bytes_hashes:
            try:
                instance = wire.hash_in(self.release, raw)
            except EngineError as error:
                raise EngineError(words.CREATE_EVENT_INSTANCE.format(reason=str(error))) from None
        key: str = request.key
        if not key:
            raise EngineError(words.CREATE_EVENT_KEY_MISSING.format())
        if self.release.json_text:
            try:
                data = wire.json_in(request.data)
            except EngineError as error:
                raise EngineError(words.CREATE_EVENT_DATA.format(reason=str(error))) from None
            return instance, key, data
        return instance, key, wire.data_in(self.release, request, "data")

    def event_service(self, instance: bytes) -> ServiceRecord:
        service = self.engine.by_hash("instance", instance)
        if service is None:
            unknown = words.LEVELDB_NOT_FOUND.format()
            raise EngineError(words.CREATE_EVENT_DATA.format(reason=unknown))
        return service

    # The applications' side -------------------------------------------------------------------

    async def create(self, request: Any, context: Context) -> Any:
        try:
            execution = await self.created(request, context)
        except EngineError as error:
            await refuse(context, error)
        return self.messages.CreateExecutionResponse(
            hash=wire.hash_out(self.release, execution.hash)
        )

    async def created(self, request: Any, context: Context) -> CreatedExecution:
        """A new execution of the instance the request names, its inputs checked first."""
        instance = wire.hash_in(self.release, request.instanceHash)
        if self.release.json_text:
            try:
                inputs: dict[str, Any] | None = wire.json_in(request.inputs)
            except EngineError as error:
                raise EngineError(words.CANNOT_PARSE_INPUTS.format(reason=str(error))) from None
        else:
            inputs = wire.data_in(self.release, request, "inputs")
        service = self.engine.by_hash("instance", instance)
        if service is None:
            raise EngineError(words.LEVELDB_NOT_FOUND.format())
        return await self.engine.create(service, request.taskKey, inputs, request.tags)

    async def get(self, request: Any, context: Context) -> Message:
        try:
            snapshot = self.engine.snapshot(wire.execution_id(self.release, request.hash))
            if snapshot is None:
                raise EngineError(self.unknown_execution(request))
        except EngineError as error:
            await refuse(context, error)
        return wire.execution_message(self.release, snapshot)

    def unknown_execution(self, request: Any) -> str:
        return words.LEVELDB_NOT_FOUND.format()

    async def stream_events(self, request: Any, context: Context) -> AsyncIterator[Message]:
        wanted = request.filter if request.HasField("filter") else None
        try:
            wants = wire.event_filter(self.release, wanted)
        except EngineError as error:
            await refuse(context, error)
        instance = wire.filter_hash(self.release, wanted, "instanceHash")
        service = self.engine.by_hash("instance", instance)
        subscription = self.engine.subscribe(
            "events",
            service.token if service is not None else "",
            wants,
            lambda event: wire.event_message(self.release, event),
        )
        async with aclosing(relay(subscription, context, ready=True)) as items:
            async for item in items:
                yield item


def behaviours(engine: Engine) -> dict[Method, Callable[..., Any]]:
    return ExecutionApi(engine).behaviours()
