"""The gRPC channel to the engine that every generation's adapter uses: its settings, one
stream, one call. The adapters say which rpc with which message; this edge does the rest.

A channel gRPC holds in TRANSIENT_FAILURE is replaced before the next stream is opened, so that
gRPC's own reconnection schedule never adds to the service's backoff; calls waiting on the old
channel (which had no connection, so they were not sent) are made again on the new one. A
failed call raises `CallFailed` with its status and the engine's text, tagged with the
generation whose words they are.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Final

import grpc
from grpc import aio

from .._config import ServeConfig
from .._engine_api import CallFailed, TaskMessage

log = logging.getLogger("mesg_pusher.runtime")

#: Client keepalive: well above the 5 minutes under which Go servers call pings abusive, and
#: well below the 15 idle minutes after which Docker's network drops a connection.
KEEPALIVE_MS: Final = 6 * 60 * 1000
#: The least time a connection attempt is given (gRPC's "minimum connect timeout").
CONNECT_TIMEOUT_MS: Final = 5_000
#: While asking which protocol an engine speaks: how long a stream that sent no ``status:
#: ready`` header (engines before v0.7 send none) must stay open to count as accepted.
SETTLE_SECONDS: Final = 1.0
Metadata = tuple[tuple[str, str], ...]


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


def _serialise(message: Any) -> bytes:
    data: bytes = message.SerializeToString()
    return data


class _Channel:
    """One gRPC channel and the multi-callables made on it, by rpc path."""

    def __init__(self, config: ServeConfig) -> None:
        self.channel = aio.insecure_channel(config.target, options=channel_options(config))
        self._streams: dict[str, Any] = {}
        self._calls: dict[str, Any] = {}

    def stream(self, path: str, read: Callable[[bytes], TaskMessage]) -> Any:
        made = self._streams.get(path)
        if made is None:
            made = self._streams[path] = self.channel.unary_stream(
                path, request_serializer=_serialise, response_deserializer=read
            )
        return made

    def call(self, path: str, reply: Callable[[bytes], Any]) -> Any:
        made = self._calls.get(path)
        if made is None:
            made = self._calls[path] = self.channel.unary_unary(
                path, request_serializer=_serialise, response_deserializer=reply
            )
        return made


class EngineChannel:
    """The engine at `config.endpoint`, whose texts are those of `generation`."""

    def __init__(self, config: ServeConfig, generation: int) -> None:
        self._config = config
        self.generation = generation
        self._current: _Channel | None = None

    def _channel(self) -> _Channel:
        if self._current is None:
            self._current = _Channel(self._config)
        return self._current

    def failed(self, error: aio.AioRpcError) -> CallFailed:
        return CallFailed(error.code(), error.details() or "", self.generation)

    async def _renew_failed_channel(self) -> _Channel:
        """Before a stream: a channel gRPC holds in TRANSIENT_FAILURE fails every call at once
        with its last error until gRPC's own reconnection timer fires, so it is replaced, and
        the stream connects now. Calls waiting on the old channel were not sent (it has no
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

    async def stream(
        self,
        path: str,
        request: Any,
        read: Callable[[bytes], TaskMessage],
        accept: Callable[[TaskMessage], None],
        opened: Callable[[], None],
        *,
        metadata: Metadata = (),
        probing: bool = False,
    ) -> None:
        """Open the stream `path` and hand each message, read by `read`, to `accept`; call
        `opened` once it is up. Returns when the engine ends it; `CallFailed` when it fails.
        `probing`: the engine may not offer `path`, so the stream counts as up only once its
        ``status: ready`` header came (or `SETTLE_SECONDS` passed without an answer)."""
        current = await self._renew_failed_channel()
        call = current.stream(path, read)(request, metadata=metadata or None)
        announcer = asyncio.create_task(self._announce(current.channel, call, opened, probing))
        try:
            async for message in call:
                accept(message)
        except aio.AioRpcError as error:
            raise self.failed(error) from None
        finally:
            call.cancel()
            announcer.cancel()

    async def _announce(
        self,
        channel: aio.Channel,
        call: aio.UnaryStreamCall[Any, Any],
        opened: Callable[[], None],
        probing: bool,
    ) -> None:
        """Report the stream open once the channel is up, and log the ``status: ready`` header
        if it comes. The header is not waited for (engines before v0.7 send no header until
        the first execution, and gRPC's own "connected" waits for a header), except when
        probing: then a header, or a stream still open after a while, says the path is
        served."""
        try:
            await channel.channel_ready()
            if not probing:
                opened()
            metadata = await self._header(call, probing)
        except aio.AioRpcError:
            return
        ready = metadata is not None and "ready" in metadata.get_all("status")
        if probing:
            if not ready:  # an engine before v0.7, or a refusal: the stream says which
                await asyncio.sleep(SETTLE_SECONDS if metadata is not None else 0.0)
                if call.done():
                    return
            opened()
        if ready:
            log.info("the engine reports the task stream ready")

    @staticmethod
    async def _header(call: aio.UnaryStreamCall[Any, Any], probing: bool) -> Any:
        if not probing:
            return await call.initial_metadata()
        try:
            return await asyncio.wait_for(asyncio.shield(call.initial_metadata()), SETTLE_SECONDS)
        except TimeoutError:
            return None

    async def call(
        self,
        path: str,
        request: Any,
        reply: Callable[[bytes], Any],
        *,
        within: float,
        metadata: Metadata = (),
    ) -> Any:
        """One call given `within` seconds, waiting for the channel's connection; made again on
        the new channel when the one it waited on was replaced (it was not sent). Its reply, or
        `CallFailed`."""
        while True:
            current = self._channel()
            try:
                return await current.call(path, reply)(
                    request, timeout=within, metadata=metadata or None, wait_for_ready=True
                )
            except aio.AioRpcError as error:
                raise self.failed(error) from None
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
