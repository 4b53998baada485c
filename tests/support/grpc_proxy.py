"""A gRPC proxy on 127.0.0.1 between serve and the engine stand-in that can lose or delay the
engine's answers to ``EmitEvent``: the request is forwarded and the engine does its work (the
event is emitted), then the answer is dropped (the caller gets UNAVAILABLE, as from a connection
that broke) or held back. Every other call passes through untouched, messages as bytes, the
stream's header included; nothing of any engine generation is decoded."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import grpc
from grpc import aio

EMIT_EVENT = "/api.Service/EmitEvent"


if TYPE_CHECKING:  # generic only to the type checker
    _Handler = grpc.GenericRpcHandler[bytes, bytes]
else:
    _Handler = grpc.GenericRpcHandler


def _same(message: bytes) -> bytes:
    return message


class LossyProxy(_Handler):
    """Forwards every call to `target`. `lose(n)` says, for the n-th EmitEvent (from 1), whether
    its answer is lost; `late` delays every EmitEvent answer by that many seconds. `unanswered`
    counts, by request (its bytes), the EmitEvent calls the engine took whose answer never
    reached the caller: lost here, or given up by the caller before it came."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.lose: Callable[[int], bool] = lambda n: False
        self.late = 0.0
        self.emits = 0
        self.unanswered: Counter[bytes] = Counter()
        self.port = 0
        self._server: aio.Server | None = None
        self._channel: aio.Channel | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> LossyProxy:
        self._channel = aio.insecure_channel(self.target)
        self._server = aio.server()
        self._server.add_generic_rpc_handlers((self,))
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        await self._server.start()
        return self

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop(None)
        if self._channel is not None:
            await self._channel.close(None)

    def service(
        self, details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[bytes, bytes] | None:
        method: str = details.method
        if method.endswith("/ListenTask") or method.startswith(("/api.Core/Listen",)):
            return grpc.unary_stream_rpc_method_handler(self._stream(method))
        return grpc.unary_unary_rpc_method_handler(self._unary(method))

    def _unary(self, method: str) -> Callable[[bytes, Any], Any]:
        async def forward(request: bytes, context: aio.ServicerContext[bytes, bytes]) -> bytes:
            assert self._channel is not None
            call = self._channel.unary_unary(method, _same, _same)
            try:
                answer: bytes = await call(request, timeout=context.time_remaining())
            except aio.AioRpcError as error:
                await context.abort(error.code(), error.details() or "")
            if method != EMIT_EVENT:
                return answer
            self.emits += 1
            if self.lose(self.emits):
                self.unanswered[request] += 1
                await context.abort(grpc.StatusCode.UNAVAILABLE, "the answer was lost")
            if self.late:
                try:
                    await asyncio.sleep(self.late)
                except asyncio.CancelledError:  # the caller gave up waiting
                    self.unanswered[request] += 1
                    raise
            return answer

        return forward

    def _stream(self, method: str) -> Callable[[bytes, Any], AsyncIterator[bytes]]:
        async def forward(
            request: bytes, context: aio.ServicerContext[bytes, bytes]
        ) -> AsyncIterator[bytes]:
            assert self._channel is not None
            call = self._channel.unary_stream(method, _same, _same)(
                request, timeout=context.time_remaining()
            )
            try:
                metadata = await call.initial_metadata()
                if metadata:
                    await context.send_initial_metadata(tuple(metadata))
                async for message in call:
                    yield message
            except aio.AioRpcError as error:
                await context.abort(error.code(), error.details() or "")
            finally:
                call.cancel()

        return forward
