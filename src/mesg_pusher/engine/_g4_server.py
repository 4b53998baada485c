"""The fourth generation's gRPC edge (v0.17.0 to v0.20.0): the third generation's
``mesg.api.Execution`` and ``mesg.api.Event`` where executions are transactions on the engine's
chain, run by runners.

What changed from v0.16 (engine@v0.17.0 and @v0.18.0 server/grpc/api, sdk/execution):
- A service streams with ``filter.executorHash`` = its runner (MESG_RUNNER_HASH); an
  application creates an execution for a runner (``executorHash``), not an instance.
- Execution/Create and Execution/Update are transactions: the call returns, and the execution
  reaches its runner or its listeners, when the next block commits (`Engine.block`); their
  refusals come from the chain's keeper after that block.
- v0.17.0 alone demands the metadata ``credential_username`` and ``credential_passphrase`` on
  Create and Update (status UNAUTHENTICATED without them); the stand-in checks they are there.
- Events are no transaction: Event/Create answers at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _engine_texts as words
from ..mesg import b58encode
from ..mesg.protocol import CREDENTIAL_PASSPHRASE, CREDENTIAL_USERNAME, Method, calls
from . import _g3_wire as wire
from . import _rules
from ._g3_server import ExecutionApi
from ._grpc import Context, metadata
from ._model import CreatedExecution, EngineError
from ._services import ServiceRecord
from ._state import Engine


class RunnerExecutionApi(ExecutionApi):
    """The Execution and Event APIs of a chain with runners."""

    def behaviours(self) -> dict[Method, Callable[..., Any]]:
        behaviours = super().behaviours()
        behaviours[calls(self.release)["Execution/List"]] = self.list
        return behaviours

    def credentials(self, context: Context) -> None:
        """v0.17.0's demand, in server/grpc/api/credential.go's words and status."""
        if not self.release.credentials_on_update:
            return
        given = metadata(context)
        for key in (CREDENTIAL_USERNAME, CREDENTIAL_PASSPHRASE):
            if not given.get(key):
                raise EngineError(words.MISSING_CREDENTIAL.format(key=key), "UNAUTHENTICATED")

    def streamed_service(self, wanted: Any) -> ServiceRecord | None:
        runner = wire.filter_hash(self.release, wanted, "executorHash")
        return self.engine.by_hash("runner", runner) or super().streamed_service(wanted)

    async def answer(self, request: Any, context: Context) -> None:
        self.credentials(context)
        await self.engine.chain.block()
        await super().answer(request, context)

    async def created(self, request: Any, context: Context) -> CreatedExecution:
        self.credentials(context)
        await self.engine.chain.block()
        runner = request.executorHash
        service = self.engine.by_hash("runner", runner)
        if service is None:
            raise EngineError(_rules.runner_not_found(self.release, b58encode(runner)))
        return await self.engine.create(
            service, request.taskKey, wire.data_in(self.release, request, "inputs"), request.tags
        )

    def event_service(self, instance: bytes) -> ServiceRecord:
        service = self.engine.by_hash("instance", instance)
        if service is None:
            unknown = words.INSTANCE_NOT_FOUND.format(hash=words.go_quote(b58encode(instance)))
            raise EngineError(words.CREATE_EVENT_DATA.format(reason=unknown))
        return service

    def unknown_execution(self, request: Any) -> str:
        return _rules.unknown_execution(self.release, b58encode(request.hash))

    async def list(self, request: Any, context: Context) -> Any:
        engine = self.engine
        snapshots = [
            engine.snapshot(execution_id)
            for execution_id in list(engine.in_progress) + list(engine.results)
        ]
        return self.messages.ListExecutionResponse(
            executions=[
                wire.execution_message(self.release, item) for item in snapshots if item is not None
            ]
        )


def behaviours(engine: Engine) -> dict[Method, Callable[..., Any]]:
    return RunnerExecutionApi(engine).behaviours()
