"""The fifth generation's gRPC edge (v0.21.0 to v0.26.0, the last): the orchestrator's
``mesg.grpc.orchestrator.Runner/Register`` (and ``Delete``), signed, hands a service a token;
the Runner API ``mesg.grpc.runner.Runner/{Execution,Result,Event}`` takes that token in the
metadata ``mesg_credential_token``. Applications use the orchestrator's ``Execution/Create``,
``Execution/Stream`` and ``Event/Stream``, signed as Register is (engine@v0.21.0 and @v0.26.0
server/grpc/orchestrator/*.go and server/grpc/runner/runner.go).

The orders of the checks are the engine's: a unary request is checked first (`_g5_wire`), then
the signature or the token, then the chain. Results and executions are transactions (they take
effect when the next block commits); a runner's first registration is one too. Tokens live in
the engine's memory only (`Engine.forget_tokens`). Every `EngineError` becomes status UNKNOWN
with the engine's text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from typing import Any

from google.protobuf.message import Message

from .. import _engine_texts as words
from ..mesg import b58encode
from ..mesg.protocol import CREDENTIAL_TOKEN, REQUEST_SIGNATURE, Method, calls
from ..mesg.protocol.v0_21_pb2 import (
    EventResponse,
    ExecutionCreateResponse,
    ResultResponse,
    RunnerDeleteResponse,
    RunnerRegisterResponse,
)
from . import _g3_wire as wire
from . import _g5_wire, _rules
from ._grpc import Context, metadata, refuse, relay
from ._model import EngineError
from ._services import ServiceRecord
from ._state import Engine


class RunnerApi:
    """What the engine does on each rpc of the orchestrator and the Runner API."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.release = engine.release

    def behaviours(self) -> dict[Method, Callable[..., Any]]:
        rpcs = calls(self.release)
        return {
            rpcs["Runner/Register"]: self.register,
            rpcs["Runner/Delete"]: self.delete,
            rpcs["Runner/Execution"]: self.executions,
            rpcs["Runner/Result"]: self.result,
            rpcs["Runner/Event"]: self.event,
            rpcs["Execution/Create"]: self.create,
            rpcs["Execution/Stream"]: self.stream,
            rpcs["Event/Stream"]: self.stream_events,
        }

    # Checks -----------------------------------------------------------------------------------

    @staticmethod
    def check_fields(request: Message, checks: tuple[tuple[str, str, str], ...]) -> None:
        problem = _g5_wire.field_problems(request, checks)
        if problem is not None:
            raise EngineError(problem)

    def check_signature(
        self, request: Message, context: Context, signed: bytes | None = None
    ) -> None:
        """The orchestrator's authorizer: a signature in the metadata, by the engine's key, of
        the request."""
        signature = metadata(context).get(REQUEST_SIGNATURE)
        if not signature:
            raise EngineError(words.SIGNATURE_NOT_FOUND.format())
        text = signed if signed is not None else _g5_wire.request_payload(request)
        problem = self.engine.identity.verify(text, signature)
        if problem is not None:
            raise EngineError(problem)

    def runner(self, context: Context) -> ServiceRecord:
        """The runner whose token the call carries."""
        token = metadata(context).get(CREDENTIAL_TOKEN)
        if not token:
            raise EngineError(words.CREDENTIAL_NOT_FOUND.format())
        return self.engine.service(self.engine.chain.runner_of(token))

    # The service's side -----------------------------------------------------------------------

    async def register(self, request: Any, context: Context) -> RunnerRegisterResponse:
        try:
            self.check_fields(request, _g5_wire.REGISTER)
            signed = _g5_wire.registration_payload(request.serviceHash, request.envHash)
            self.check_signature(request, context, signed)
            record, new = self.engine.register(request.serviceHash, request.envHash)
            if new:  # the runner is created on the chain first
                await self.engine.chain.block()
            token = self.engine.chain.issue_token(record.token)
        except EngineError as error:
            await refuse(context, error)
        return RunnerRegisterResponse(token=token)

    async def delete(self, request: Any, context: Context) -> RunnerDeleteResponse:
        try:
            self.check_fields(request, _g5_wire.DELETE)
            self.check_signature(request, context)
            await self.engine.chain.block()
            record = self.engine.by_hash("runner", request.runnerHash)
            if record is None:
                raise EngineError(
                    _rules.runner_not_found(self.release, b58encode(request.runnerHash))
                )
            self.engine.chain.delete(record.token)
        except EngineError as error:
            await refuse(context, error)
        return RunnerDeleteResponse()

    async def executions(self, request: Any, context: Context) -> AsyncIterator[Message]:
        """The executions created for the token's runner, from now on."""
        try:
            record = self.runner(context)
        except EngineError as error:
            await refuse(context, error)
        runner = record.runner_hash
        subscription = self.engine.subscribe(
            "tasks",
            record.token,
            lambda item: item.result is None and item.execution.executor == runner,
            lambda item: wire.execution_message(self.release, item),
        )
        async with aclosing(relay(subscription, context, ready=True)) as items:
            async for item in items:
                yield item

    async def result(self, request: Any, context: Context) -> ResultResponse:
        await self.engine.thawed()
        try:
            self.check_fields(request, _g5_wire.RESULT)
            record = self.runner(context)
            execution_id = b58encode(request.executionHash)
            snapshot = self.engine.snapshot(execution_id)
            if snapshot is None:
                raise EngineError(_rules.unknown_execution(self.release, execution_id))
            executor = snapshot.execution.executor
            if executor != record.runner_hash:
                raise EngineError(
                    words.NOT_EXECUTOR.format(
                        runner=words.go_quote(record.token),
                        executor=words.go_quote(b58encode(executor)),
                    )
                )
            await self.engine.chain.block()
            which = request.WhichOneof("result")
            self.engine.finish(
                execution_id,
                outputs=wire.data_in(self.release, request, "outputs")
                if which == "outputs"
                else None,
                error=request.error if which == "error" else None,
            )
        except EngineError as error:
            await refuse(context, error)
        return ResultResponse()

    async def event(self, request: Any, context: Context) -> EventResponse:
        await self.engine.thawed()
        try:
            self.check_fields(request, _g5_wire.EVENT)
            record = self.runner(context)
            self.engine.emit(record, request.key, wire.data_in(self.release, request, "data"))
        except EngineError as error:
            await refuse(context, error)
        return EventResponse()

    # The applications' side (signed as Register is) ------------------------------------------

    async def create(self, request: Any, context: Context) -> ExecutionCreateResponse:
        try:
            self.check_fields(request, _g5_wire.CREATE)
            self.check_signature(request, context)
            await self.engine.chain.block()
            record = self.engine.by_hash("runner", request.executorHash)
            if record is None:
                raise EngineError(
                    _rules.runner_not_found(self.release, b58encode(request.executorHash))
                )
            inputs = wire.data_in(self.release, request, "inputs")
            execution = await self.engine.create(record, request.taskKey, inputs, request.tags)
        except EngineError as error:
            await refuse(context, error)
        return ExecutionCreateResponse(hash=execution.hash)

    async def stream(self, request: Any, context: Context) -> AsyncIterator[Message]:
        wanted = request.filter if request.HasField("filter") else None
        try:
            self.check_signature(request, context)
        except EngineError as error:
            await refuse(context, error)
        runner = wire.filter_hash(self.release, wanted, "executorHash")
        record = self.engine.by_hash("runner", runner)
        subscription = self.engine.subscribe(
            "executions",
            record.token if record is not None else "",
            wire.execution_filter(self.release, wanted),
            lambda item: wire.execution_message(self.release, item),
        )
        async with aclosing(relay(subscription, context, ready=True)) as items:
            async for item in items:
                yield item

    async def stream_events(self, request: Any, context: Context) -> AsyncIterator[Message]:
        wanted = request.filter if request.HasField("filter") else None
        try:
            self.check_signature(request, context)
        except EngineError as error:
            await refuse(context, error)
        record = self.engine.by_hash(
            "instance", wire.filter_hash(self.release, wanted, "instanceHash")
        )
        subscription = self.engine.subscribe(
            "events",
            record.token if record is not None else "",
            wire.event_filter(self.release, wanted),
            lambda event: wire.event_message(self.release, event),
        )
        async with aclosing(relay(subscription, context, ready=True)) as items:
            async for item in items:
                yield item


def behaviours(engine: Engine) -> dict[Method, Callable[..., Any]]:
    return RunnerApi(engine).behaviours()
