"""The first generation of the engine's protocol: ``api.Service`` of engines v0.1 to v0.9, over
one gRPC channel. `ApiService` is its `EngineApi` adapter (see ``_engine_api.py``): the
``ListenTask`` stream, and the ``SubmitResult`` and ``EmitEvent`` calls, each made once.

The stream is read with `read_task` (``_task_messages.py``), so a message protobuf cannot decode
reaches the service as a `TaskMessage` with its problem instead of ending the stream. A channel
gRPC holds in TRANSIENT_FAILURE is replaced before the next stream is opened, so that gRPC's own
reconnection schedule never adds to the service's backoff; calls waiting on the old channel
(which had no connection, so they were not sent) are made again on the new one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar

import grpc
from grpc import aio

from ..mesg.protocol.service_pb2 import (
    EmitEventReply,
    EmitEventRequest,
    ListenTaskRequest,
    SubmitResultReply,
    SubmitResultRequest,
    TaskData,
)
from ..tasks import TaskOutput
from ._config import ServeConfig
from ._engine_api import CallFailed, TaskMessage
from ._task_messages import Undecodable, read_task

log = logging.getLogger("mesg_pusher.runtime")

LISTEN_TASK: Final = "/api.Service/ListenTask"
SUBMIT_RESULT: Final = "/api.Service/SubmitResult"
EMIT_EVENT: Final = "/api.Service/EmitEvent"
#: Client keepalive: well above the 5 minutes under which Go servers call pings abusive, and
#: well below the 15 idle minutes after which Docker's network drops a connection.
KEEPALIVE_MS: Final = 6 * 60 * 1000
#: The least time a connection attempt is given (gRPC's "minimum connect timeout").
CONNECT_TIMEOUT_MS: Final = 5_000
#: What gRPC hands on for a message its deserializer could not read at all.
_UNREADABLE: Final = TaskMessage(0, None, None, None, "gRPC could not read it")
T = TypeVar("T")


def channel_options(config: ServeConfig) -> list[tuple[str, Any]]:
    """gRPC channel settings: our own retries only, keepalive, any message size (an oversized
    execution is answered, not left to break the stream). gRPC reconnects a failed channel on
    its own no sooner than our longest wait: the adapter replaces such a channel before the
    next stream, so the service's backoff alone paces reconnection."""
    cap_ms = int(config.reconnect_max_delay * 1000)
    return [
        ("grpc.enable_retries", 0),
        ("grpc.initial_reconnect_backoff_ms", cap_ms),
        ("grpc.max_reconnect_backoff_ms", cap_ms),
        ("grpc.min_reconnect_backoff_ms", CONNECT_TIMEOUT_MS),
        # Otherwise a new channel shares the failed one's connection, backoff timer included.
        ("grpc.use_local_subchannel_pool", 1),
        ("grpc.keepalive_time_ms", KEEPALIVE_MS),
        ("grpc.keepalive_timeout_ms", 20_000),
        ("grpc.http2.max_pings_without_data", 0),
        ("grpc.max_receive_message_length", -1),
    ]


def task_message(message: TaskData | Undecodable | None) -> TaskMessage:
    """A task stream message as the service takes it."""
    if type(message) is TaskData:
        return TaskMessage(
            message.ByteSize(), message.executionID, message.taskKey, message.inputData
        )
    if message is None:
        return _UNREADABLE
    assert isinstance(message, Undecodable)
    return TaskMessage(message.size, message.execution_id, message.task_key, None, message.problem)


class _Channel:
    """One gRPC channel and the three calls made on it."""

    def __init__(self, config: ServeConfig) -> None:
        self.channel = aio.insecure_channel(config.target, options=channel_options(config))
        self.listen = self.channel.unary_stream(
            LISTEN_TASK,
            request_serializer=ListenTaskRequest.SerializeToString,
            response_deserializer=read_task,
        )
        self.submit = self.channel.unary_unary(
            SUBMIT_RESULT,
            request_serializer=SubmitResultRequest.SerializeToString,
            response_deserializer=SubmitResultReply.FromString,
        )
        self.emit = self.channel.unary_unary(
            EMIT_EVENT,
            request_serializer=EmitEventRequest.SerializeToString,
            response_deserializer=EmitEventReply.FromString,
        )


class ApiService:
    """``api.Service`` at `config.endpoint`, for the service whose token `config` holds."""

    def __init__(self, config: ServeConfig) -> None:
        self._config = config
        self._current: _Channel | None = None

    def _channel(self) -> _Channel:
        if self._current is None:
            self._current = _Channel(self._config)
        return self._current

    async def _renew_failed_channel(self) -> _Channel:
        """Before a stream: a channel gRPC holds in TRANSIENT_FAILURE fails every call at once
        with its last error until gRPC's own reconnection timer fires, so it is replaced, and
        the stream connects now. Results waiting on the old channel were not sent (it has no
        connection); closing it makes them try again on the new one."""
        old = self._channel()
        if old.channel.get_state() is not grpc.ChannelConnectivity.TRANSIENT_FAILURE:
            return old
        self._current = renewed = _Channel(self._config)
        await asyncio.shield(old.channel.close(None))
        return renewed

    async def close(self) -> None:
        if self._current is not None:
            await self._current.channel.close(None)

    async def listen(
        self, accept: Callable[[TaskMessage], None], opened: Callable[[], None]
    ) -> None:
        current = await self._renew_failed_channel()
        call = current.listen(ListenTaskRequest(token=self._config.token))
        announcer = asyncio.create_task(self._announce(current.channel, call, opened))
        try:
            async for message in call:
                accept(task_message(message))
        except aio.AioRpcError as error:
            raise CallFailed(error.code(), error.details() or "") from None
        finally:
            call.cancel()
            announcer.cancel()

    async def _announce(
        self,
        channel: aio.Channel,
        call: aio.UnaryStreamCall[Any, Any],
        opened: Callable[[], None],
    ) -> None:
        """Report the stream open once the channel is up, and log the ``status: ready`` header
        if it comes. The header is not waited for: engines before v0.7 send no header until the
        first execution (and gRPC's own "connected" waits for a header)."""
        try:
            await channel.channel_ready()
            opened()
            metadata = await call.initial_metadata()
        except aio.AioRpcError:
            return
        if metadata is not None and "ready" in metadata.get_all("status"):
            log.info("the engine reports the task stream ready")

    async def submit(self, execution_id: str, output: TaskOutput) -> None:
        request = SubmitResultRequest(
            executionID=execution_id, outputKey=output.key, outputData=output.json()
        )
        timeout = self._config.submit_timeout
        await self._call(
            lambda current: current.submit(request, timeout=timeout, wait_for_ready=True)
        )

    async def emit(self, event_key: str, event_data: str, within: float) -> None:
        request = EmitEventRequest(
            token=self._config.token, eventKey=event_key, eventData=event_data
        )
        await self._call(lambda current: current.emit(request, timeout=within, wait_for_ready=True))

    async def _call(self, make: Callable[[_Channel], Awaitable[Any]]) -> None:
        """One call, waiting for the channel's connection; made again on the new channel when
        the one it waited on was replaced (it was not sent)."""
        while True:
            current = self._channel()
            try:
                await make(current)
                return
            except aio.AioRpcError as error:
                raise CallFailed(error.code(), error.details() or "") from None
            except asyncio.CancelledError:
                if self._cancelled_for_good(current):
                    raise

    def _cancelled_for_good(self, current: _Channel) -> bool:
        """gRPC cancels the calls of a channel it closes. When the adapter replaced the channel
        (it had no connection, so the call was not sent), the call is made again on the new
        one; when the calling task is being cancelled, or the channel is still the current
        one, the cancellation goes on."""
        task = asyncio.current_task()
        return current is self._current or (task is not None and task.cancelling() > 0)
