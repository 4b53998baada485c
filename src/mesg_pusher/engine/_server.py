"""The stand-in's gRPC edge: `api.Service` and `api.Core` served from an `Engine` on 127.0.0.1
(or a unix socket), in the caller's event loop. Every `EngineError` becomes status UNKNOWN with
the engine's text, as the Go engine's plain errors did. ``ListenTask`` also sends the raw bytes
of `Engine.deliver_raw` as they are, and a frozen engine holds ``SubmitResult`` and
``EmitEvent`` until thawed.

`EngineServer.restart` drops every connection and listens again on the same address while the
engine keeps its executions, as when the engine's network goes away and comes back.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import grpc
from grpc import aio

from ..mesg.protocol.core_pb2 import (
    EventData,
    ExecuteTaskReply,
    ExecuteTaskRequest,
    ListenEventRequest,
    ListenResultRequest,
    ResultData,
)
from ..mesg.protocol.core_pb2_grpc import CoreServicer, add_CoreServicer_to_server
from ..mesg.protocol.service_pb2 import (
    EmitEventReply,
    EmitEventRequest,
    ListenTaskRequest,
    SubmitResultReply,
    SubmitResultRequest,
    TaskData,
)
from ..mesg.protocol.service_pb2_grpc import ServiceServicer
from ._engine import Engine, EngineError, StreamEnded

READY: Final = (("status", "ready"),)
Context = aio.ServicerContext[Any, Any]


def _task_message(message: TaskData | bytes) -> bytes:
    """A task message on the wire: raw bytes pass as they are (they may not be valid UTF-8)."""
    return message if isinstance(message, bytes) else message.SerializeToString()


def _add_service_api(api: _ServiceApi, server: aio.Server) -> None:
    """Register `api.Service` as the generated code does, but with a ``ListenTask`` that can
    send bytes protobuf itself would refuse to build."""
    handlers = {
        "ListenTask": grpc.unary_stream_rpc_method_handler(
            api.ListenTask,
            request_deserializer=ListenTaskRequest.FromString,
            response_serializer=_task_message,
        ),
        "SubmitResult": grpc.unary_unary_rpc_method_handler(
            api.SubmitResult,
            request_deserializer=SubmitResultRequest.FromString,
            response_serializer=SubmitResultReply.SerializeToString,
        ),
        "EmitEvent": grpc.unary_unary_rpc_method_handler(
            api.EmitEvent,
            request_deserializer=EmitEventRequest.FromString,
            response_serializer=EmitEventReply.SerializeToString,
        ),
    }
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("api.Service", handlers),)
    )


class _ServiceApi(ServiceServicer):
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def ListenTask(  # type: ignore[override]
        self, request: ListenTaskRequest, context: Context
    ) -> AsyncIterator[TaskData | bytes]:
        try:
            subscription = self._engine.listen_tasks(request.token)
        except EngineError as error:
            await context.abort(grpc.StatusCode.UNKNOWN, str(error))
        try:
            if self._engine.ready_header:
                await context.send_initial_metadata(READY)
            while True:
                yield await subscription.get()
        except StreamEnded:
            return
        finally:
            subscription.close()

    async def SubmitResult(
        self, request: SubmitResultRequest, context: Context
    ) -> SubmitResultReply:
        await self._engine.thawed()
        try:
            self._engine.submit_result(request.executionID, request.outputKey, request.outputData)
        except EngineError as error:
            await context.abort(grpc.StatusCode.UNKNOWN, str(error))
        return SubmitResultReply()

    async def EmitEvent(self, request: EmitEventRequest, context: Context) -> EmitEventReply:
        await self._engine.thawed()
        try:
            self._engine.emit_event(request.token, request.eventKey, request.eventData)
        except EngineError as error:
            await context.abort(grpc.StatusCode.UNKNOWN, str(error))
        return EmitEventReply()


class _CoreApi(CoreServicer):
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def ExecuteTask(self, request: ExecuteTaskRequest, context: Context) -> ExecuteTaskReply:
        try:
            execution_id = await self._engine.execute(
                request.serviceID, request.taskKey, request.inputData, request.executionTags
            )
        except EngineError as error:
            await context.abort(grpc.StatusCode.UNKNOWN, str(error))
        return ExecuteTaskReply(executionID=execution_id)

    async def ListenResult(
        self, request: ListenResultRequest, context: Context
    ) -> AsyncIterator[ResultData]:
        try:
            subscription = self._engine.listen_results(
                request.serviceID, request.taskFilter, request.outputFilter, request.tagFilters
            )
        except EngineError as error:
            await context.abort(grpc.StatusCode.UNKNOWN, str(error))
        try:
            # Sent even in v0.2 mode: clients of this stand-in learn that they are subscribed.
            await context.send_initial_metadata(READY)
            while True:
                yield await subscription.get()
        except StreamEnded:
            return
        finally:
            subscription.close()

    async def ListenEvent(
        self, request: ListenEventRequest, context: Context
    ) -> AsyncIterator[EventData]:
        try:
            subscription = self._engine.listen_events(request.serviceID, request.eventFilter)
        except EngineError as error:
            await context.abort(grpc.StatusCode.UNKNOWN, str(error))
        try:
            await context.send_initial_metadata(READY)  # as for ListenResult
            while True:
                yield await subscription.get()
        except StreamEnded:
            return
        finally:
            subscription.close()


class EngineServer:
    """Serves `engine` (a new ``Engine()`` by default) on ``127.0.0.1:port`` (port 0: a free
    one, read back from `port`) or on the unix socket `unix_socket`. Use ``async with`` or
    `start`/`stop`; `address` is what ``MESG_ENDPOINT_TCP`` should say."""

    def __init__(
        self,
        engine: Engine | None = None,
        *,
        port: int = 0,
        unix_socket: str | None = None,
    ) -> None:
        self.engine = engine if engine is not None else Engine()
        self.port = port
        self.unix_socket = unix_socket
        self._server: aio.Server | None = None

    @property
    def address(self) -> str:
        if self.unix_socket is not None:
            return f"unix://{self.unix_socket}"
        return f"127.0.0.1:{self.port}"

    @property
    def token(self) -> str:
        """The token of the engine's first service (the packaged mesg.yml by default)."""
        return self.engine.token

    async def start(self) -> EngineServer:
        if self._server is not None:
            raise RuntimeError("the engine stand-in is already serving")
        # No SO_REUSEPORT: two stand-ins must never share a port. (SO_REUSEADDR, which gRPC
        # sets anyway, is what lets `restart` bind the same port again at once.)
        server = aio.server(options=[("grpc.so_reuseport", 0)])
        _add_service_api(_ServiceApi(self.engine), server)
        add_CoreServicer_to_server(_CoreApi(self.engine), server)
        where = (
            f"unix:{self.unix_socket}" if self.unix_socket is not None else f"127.0.0.1:{self.port}"
        )
        try:
            bound = server.add_insecure_port(where)
        except RuntimeError:  # gRPC's own text says only "Failed to bind"
            raise OSError(f"cannot listen on {where}: {self._why_not()}") from None
        if self.unix_socket is None:
            self.port = bound
        await server.start()
        self._server = server
        return self

    def _why_not(self) -> str:
        """Why binding the address fails, asked of the system itself."""
        if self.unix_socket is not None:
            folder = Path(self.unix_socket).parent
            if not folder.is_dir():
                return f"no such directory: {folder}"
            family, address = socket.AF_UNIX, self.unix_socket
            probe: tuple[str, int] | str = address
        else:
            family, probe = socket.AF_INET, ("127.0.0.1", self.port)
        with socket.socket(family, socket.SOCK_STREAM) as trial:
            try:
                trial.bind(probe)
            except OSError as error:
                return error.strerror or str(error)
        if self.unix_socket is not None:
            Path(self.unix_socket).unlink(missing_ok=True)  # the trial's own socket file
        return "refused by gRPC"

    async def stop(self, grace: float = 1.0) -> None:
        """Stop serving as an engine that shuts down: end the open streams, then give calls
        under way `grace` seconds."""
        server, self._server = self._server, None
        if server is not None:
            self.engine.end_streams()
            await server.stop(grace)

    async def drop(self) -> None:
        """Stop serving at once, cutting every connection (the network went away)."""
        server, self._server = self._server, None
        if server is not None:
            await server.stop(None)

    async def restart(self, downtime: float = 0.0) -> None:
        """Cut every connection, stay away `downtime` seconds, serve again at `address`; the
        engine keeps its executions in progress."""
        await self.drop()
        await asyncio.sleep(downtime)
        await self.start()

    async def __aenter__(self) -> EngineServer:
        return await self.start()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.stop()
