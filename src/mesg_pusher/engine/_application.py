"""An application's side of the engine (``api.Core``): run a task, hear the results, hear the
service's events. What a MESG application does, for tests and the demo; it speaks to the
stand-in or a real engine.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from grpc import aio

from .._json import dumps, loads
from ..mesg.protocol.core_pb2 import (
    EventData,
    ExecuteTaskRequest,
    ListenEventRequest,
    ListenResultRequest,
    ResultData,
)
from ..mesg.protocol.core_pb2_grpc import CoreStub

if TYPE_CHECKING:
    from ..mesg.protocol.core_pb2_grpc import CoreAsyncStub

M = TypeVar("M")


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

    def listen_events(self, service_id: str, *, event: str = "") -> Events:
        """``ListenEvent`` (`event`: one event key, empty or ``*`` for all), read in the
        background once entered with ``async with``."""
        request = ListenEventRequest(serviceID=service_id, eventFilter=event)
        return Events(self._stub.ListenEvent(request))

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


class MessageStream(Generic[M]):
    """One stream of messages read in the background as they arrive, `received` in order.

    Entering waits for the stream's ``status: ready`` header, which the stand-in sends once
    the subscription is in place (a v0.2 engine sends none: pass ``ready=False``).
    """

    def __init__(self, call: aio.UnaryStreamCall[Any, M]) -> None:
        self._call: aio.UnaryStreamCall[Any, M] = call
        self.received: list[M] = []
        self.error: aio.AioRpcError | None = None
        self.ended = False  # the engine ended the stream (it stopped)
        self._changed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def start(self, *, ready: bool = True) -> Self:
        if ready:  # gRPC's "connected" waits for the header, and raises a refusal
            await self._call.wait_for_connection()
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        try:
            async for message in self._call:
                self.received.append(message)
                self._took(message)
                self._notify()
        except aio.AioRpcError as error:
            self.error = error
        self.ended = True
        self._notify()

    def _took(self, message: M) -> None:
        """Bookkeeping of a subclass for each message."""

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _changes(self) -> None:
        if self.error is not None:
            raise self.error
        await self._changed.wait()

    async def wait_count(self, count: int) -> None:
        """Return once `count` messages have arrived (bound it with ``asyncio.timeout``)."""
        while len(self.received) < count:
            await self._changes()
        if self.error is not None and len(self.received) < count:
            raise self.error

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


class Results(MessageStream[ResultData]):
    """Results of one ``ListenResult`` stream as they arrive: `received` in order, and
    `by_execution` (an execution answered twice would show two entries)."""

    def __init__(self, call: aio.UnaryStreamCall[ListenResultRequest, ResultData]) -> None:
        super().__init__(call)
        self.by_execution: dict[str, list[ResultData]] = {}

    def _took(self, message: ResultData) -> None:
        self.by_execution.setdefault(message.executionID, []).append(message)

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


class Events(MessageStream[EventData]):
    """Events of one ``ListenEvent`` stream as they arrive: `received` in order, each an
    ``EventData`` (``eventKey``, ``eventData`` the JSON text); `data` reads them."""

    def data(self) -> list[tuple[str, dict[str, Any]]]:
        """(event key, decoded data) of every event received so far, in order."""
        return [(event.eventKey, loads(event.eventData)) for event in self.received]

    async def next(self, index: int) -> EventData:
        """Event number `index` (from 0) once it has arrived (bound it with
        ``asyncio.timeout``)."""
        await self.wait_count(index + 1)
        return self.received[index]
