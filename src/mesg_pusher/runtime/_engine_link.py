"""The service's one link to the engine: the gRPC channel, the task stream and its reconnection,
and the ``SubmitResult`` and ``EmitEvent`` calls, made on that one channel.

One task reads the ``ListenTask`` stream and never waits on anything else, handing every message
to `accept` as it comes (the engine hands executions over under a global lock). The stream is
read with `read_task`, so a message protobuf cannot decode reaches `accept` as `Undecodable`
instead of ending the stream. When the stream breaks, the reader reconnects with capped,
jittered exponential backoff, logging each attempt; a channel gRPC holds in TRANSIENT_FAILURE is
replaced at the next attempt, so that gRPC's own reconnection schedule never adds to ours.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Final

import grpc
from grpc import aio

from .._errors import MesgPusherError
from ..mesg.protocol.service_pb2 import (
    EmitEventReply,
    EmitEventRequest,
    ListenTaskRequest,
    SubmitResultReply,
    SubmitResultRequest,
    TaskData,
)
from ._config import ServeConfig
from ._faults import listen_refusal
from ._ledger import Stats
from ._stopping import DRAIN_QUIET
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

Accept = Callable[[TaskData | Undecodable | None], None]


class ServiceFailed(MesgPusherError):
    """The service cannot go on: the engine refused its token, or is not such an engine."""


def channel_options(config: ServeConfig) -> list[tuple[str, Any]]:
    """gRPC channel settings: our own retries only, keepalive, any message size (an oversized
    execution is answered, not left to break the stream). gRPC reconnects a failed channel on
    its own no sooner than our longest wait: the link replaces such a channel at its next
    attempt, so our backoff alone paces reconnection."""
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


class EngineLink:
    """Listens to the engine at `config.endpoint`, and submits results there. `draw` gives the
    random numbers of the backoff jitter, `clock` monotonic seconds."""

    def __init__(
        self,
        config: ServeConfig,
        stats: Stats,
        *,
        draw: Callable[[], float],
        clock: Callable[[], float],
    ) -> None:
        self._config = config
        self._stats = stats
        self._draw = draw
        self._clock = clock
        self._current: _Channel | None = None
        self.listening = asyncio.Event()
        self.closing = False
        self.delivered = 0
        self.last_delivery = 0.0

    # The channel -----------------------------------------------------------------------------

    def _channel(self) -> _Channel:
        if self._current is None:
            self._current = _Channel(self._config)
        return self._current

    async def _renew_failed_channel(self) -> _Channel:
        """Before an attempt to listen: a channel gRPC holds in TRANSIENT_FAILURE fails every
        call at once with its last error until gRPC's own reconnection timer fires, so it is
        replaced, and the attempt connects now. Results waiting on the old channel were not
        sent (it has no connection); closing it makes them try again on the new one."""
        old = self._channel()
        if old.channel.get_state() is not grpc.ChannelConnectivity.TRANSIENT_FAILURE:
            return old
        self._current = renewed = _Channel(self._config)
        await asyncio.shield(old.channel.close(None))
        return renewed

    async def close(self) -> None:
        if self._current is not None:
            await self._current.channel.close(None)

    # Submitting ------------------------------------------------------------------------------

    async def submit(self, request: SubmitResultRequest) -> None:
        """One ``SubmitResult``; raises ``grpc.aio.AioRpcError`` when it fails."""
        timeout = self._config.submit_timeout
        while True:
            current = self._channel()
            try:
                await current.submit(request, timeout=timeout, wait_for_ready=True)
                return
            except asyncio.CancelledError:
                if self._cancelled_for_good(current):
                    raise

    async def emit(self, request: EmitEventRequest, within: float) -> None:
        """One ``EmitEvent``, given `within` seconds (waiting for a connection included);
        raises ``grpc.aio.AioRpcError`` when it fails."""
        while True:
            current = self._channel()
            try:
                await current.emit(request, timeout=within, wait_for_ready=True)
                return
            except asyncio.CancelledError:
                if self._cancelled_for_good(current):
                    raise

    def _cancelled_for_good(self, current: _Channel) -> bool:
        """gRPC cancels the calls of a channel it closes. When the link replaced the channel
        (it had no connection, so the call was not sent), the caller tries again on the new
        one; when the calling task is being cancelled, or the channel is still the current
        one, the cancellation goes on."""
        task = asyncio.current_task()
        return current is self._current or (task is not None and task.cancelling() > 0)

    # Listening -------------------------------------------------------------------------------

    async def listen_forever(self, accept: Accept) -> None:
        """Hand every task message to `accept`, reconnecting after every break, until cancelled
        or `closing`; ServiceFailed when the engine refuses the service."""
        config = self._config
        backoff = config.backoff(self._draw)
        while True:
            attempt = backoff.attempt + 1
            log.info(
                "connecting to the engine",
                extra={"fields": {"endpoint": config.endpoint, "attempt": attempt}},
            )
            opened = self._clock()
            delivered = self.delivered
            connections = self._stats.connections
            try:
                await self._listen_once(accept)
                reason = "the engine ended the task stream"
            except aio.AioRpcError as error:
                details = error.details() or ""
                refusal = listen_refusal(error.code(), details)
                if refusal is not None:
                    raise ServiceFailed(refusal) from None
                reason = f"{error.code().name}: {details}"
            finally:
                self.listening.clear()
            if self.closing:
                return
            if self.delivered > delivered or self._clock() - opened >= config.reconnect_max_delay:
                backoff.reset()  # that connection worked: start the schedule over
            delay = backoff.next_delay()
            lost = self._stats.connections > connections
            log.warning(
                "lost the engine" if lost else "could not reach the engine",
                extra={
                    "fields": {
                        "endpoint": config.endpoint,
                        "reason": reason,
                        "retry_in_s": round(delay, 3),
                    }
                },
            )
            await asyncio.sleep(delay)

    async def _listen_once(self, accept: Accept) -> None:
        """One ``ListenTask`` stream, read until it ends (returns) or fails (raises)."""
        current = await self._renew_failed_channel()
        call = current.listen(ListenTaskRequest(token=self._config.token))
        announcer = asyncio.create_task(self._announce(current.channel, call))
        try:
            clock = self._clock
            async for message in call:
                self.delivered += 1
                self.last_delivery = clock()
                accept(message)
        finally:
            call.cancel()
            announcer.cancel()

    async def _announce(self, channel: aio.Channel, call: aio.UnaryStreamCall[Any, Any]) -> None:
        """Log the connection once the channel is up, and the ``status: ready`` header if it
        comes. The header is not waited for: engines before v0.7 send no header until the first
        execution (and gRPC's own "connected" waits for a header)."""
        try:
            await channel.channel_ready()
            self._stats.connections += 1
            self.listening.set()
            log.info("listening for tasks", extra={"fields": {"endpoint": self._config.endpoint}})
            metadata = await call.initial_metadata()
        except aio.AioRpcError:
            return
        if metadata is not None and "ready" in metadata.get_all("status"):
            log.info("the engine reports the task stream ready")

    async def read_on(self, listener: asyncio.Task[None], until: float) -> None:
        """At a stop: read on until the stream has been quiet for DRAIN_QUIET (or `until`),
        then stop `listener`. Cancelling the stream drops whatever the engine sent that is not
        read yet, and the engine counts those executions as delivered."""
        self.closing = True
        while not listener.done() and self.listening.is_set():
            left = until - self._clock()
            if left <= 0:
                break
            await asyncio.sleep(min(DRAIN_QUIET, left))
            await asyncio.sleep(0)  # lets a read that is already due land first
            if self._clock() - self.last_delivery >= DRAIN_QUIET:
                break
        listener.cancel()
