"""An application's side of the engine (``api.Core``): run a task, hear the results. What a
MESG application does, for tests and the demo; it speaks to the stand-in or a real engine.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from grpc import aio

from .._json import dumps
from ..mesg.protocol.core_pb2 import ExecuteTaskRequest, ListenResultRequest, ResultData
from ..mesg.protocol.core_pb2_grpc import CoreStub

if TYPE_CHECKING:
    from ..mesg.protocol.core_pb2_grpc import CoreAsyncStub


class CoreClient:
    """``api.Core`` at `address` (``host:port`` or ``unix:///path``); close it, or use
    ``async with``."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._channel = aio.insecure_channel(address)
        self._stub: CoreAsyncStub = CoreStub(self._channel)

    async def execute(
        self,
        service_id: str,
        task_key: str,
        inputs: Mapping[str, Any] | str,
        *,
        tags: Iterable[str] = (),
        deadline: float = 10.0,
    ) -> str:
        """``ExecuteTask``: the new execution's id, within `deadline` seconds. Refusals raise
        ``grpc.aio.AioRpcError`` (status UNKNOWN, the engine's text in ``details()``)."""
        request = ExecuteTaskRequest(
            serviceID=service_id,
            taskKey=task_key,
            inputData=inputs if isinstance(inputs, str) else dumps(inputs),
            executionTags=list(tags),
        )
        reply = await self._stub.ExecuteTask(request, timeout=deadline)
        return reply.executionID

    def results(
        self,
        service_id: str,
        *,
        task: str = "",
        output: str = "",
        tags: Iterable[str] = (),
    ) -> Results:
        """``ListenResult``, read in the background once entered with ``async with``."""
        request = ListenResultRequest(
            serviceID=service_id, taskFilter=task, outputFilter=output, tagFilters=list(tags)
        )
        return Results(self._stub.ListenResult(request))

    async def close(self) -> None:
        await self._channel.close(None)

    async def __aenter__(self) -> CoreClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.close()


class Results:
    """Results of one ``ListenResult`` stream as they arrive: `received` in order, and
    `by_execution` (an execution answered twice would show two entries).

    Entering waits for the stream's ``status: ready`` header, which the stand-in sends once
    the subscription is in place (a v0.2 engine sends none: pass ``ready=False``).
    """

    def __init__(self, call: aio.UnaryStreamCall[ListenResultRequest, ResultData]) -> None:
        self._call = call
        self.received: list[ResultData] = []
        self.by_execution: dict[str, list[ResultData]] = {}
        self.error: aio.AioRpcError | None = None
        self._changed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Results:
        return await self.start()

    async def start(self, *, ready: bool = True) -> Results:
        if ready:  # gRPC's "connected" waits for the header, and raises a refusal
            await self._call.wait_for_connection()
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        try:
            async for result in self._call:
                self.received.append(result)
                self.by_execution.setdefault(result.executionID, []).append(result)
                self._notify()
        except aio.AioRpcError as error:
            self.error = error
            self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(self, execution_ids: Iterable[str]) -> dict[str, ResultData]:
        """The first result of each execution, once all have arrived (bound the wait with
        ``asyncio.timeout``). Raises the stream's error if it failed."""
        wanted = list(execution_ids)
        while True:
            if self.error is not None:
                raise self.error
            if all(i in self.by_execution for i in wanted):
                return {i: self.by_execution[i][0] for i in wanted}
            await self._changed.wait()

    async def wait_count(self, count: int) -> None:
        """Return once `count` results have arrived (bound it with ``asyncio.timeout``)."""
        while len(self.received) < count:
            if self.error is not None:
                raise self.error
            await self._changed.wait()

    async def close(self) -> None:
        self._call.cancel()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.close()
