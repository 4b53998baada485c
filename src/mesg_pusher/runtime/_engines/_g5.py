"""The fifth and last generation's adapter: engines v0.21 to v0.26 (the `EngineApi` of
``_engine_api.py``). The service registers with the orchestrator
(``mesg.grpc.orchestrator.Runner/Register``: MESG_SERVICE_HASH and MESG_ENV_HASH, signed by the
engine's tool, the signature MESG_REGISTER_SIGNATURE passed on as it is in the metadata
``mesg_request_signature``) and keeps the token it gets; every call of the Runner API
(``mesg.grpc.runner.Runner/Execution``, ``/Result``, ``/Event``) carries it in the metadata
``mesg_credential_token``.

The engine keeps tokens in memory only: once restarted it answers ``credential token doesn't
exist``. The adapter then forgets the token, and the next call (the service's retry) registers
again first, once for every call waiting. The refused call did nothing, so sending it again
neither loses nor doubles a result. A result is a transaction: its attempt's time covers the
block that commits it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from ...mesg.protocol import CREDENTIAL_TOKEN, REQUEST_SIGNATURE, calls
from ...mesg.protocol import v0_21_pb2 as messages
from ...tasks import TaskOutput
from .._config import ServeConfig
from .._engine_api import CallFailed, TaskMessage
from .._verdicts import token_forgotten
from . import _wire
from ._channel import EngineChannel, Metadata
from ._choice import Variant

log = logging.getLogger("mesg_pusher.runtime")
T = TypeVar("T")


class RunnerApi:
    """The orchestrator's registration and the Runner API of `variant` at `config.endpoint`."""

    generation = 5

    def __init__(self, config: ServeConfig, variant: Variant, *, probing: bool = False) -> None:
        self._config = config
        self.variant = variant
        self.probing = probing
        self._channel = EngineChannel(config, self.generation)
        rpcs = calls(variant.first)
        self._register, self._executions, self._result, self._event = (
            rpcs["Runner/Register"],
            rpcs["Runner/Execution"],
            rpcs["Runner/Result"],
            rpcs["Runner/Event"],
        )
        self._read = _wire.execution_reader(variant, _structs)
        self._token: str | None = None
        self._registering: asyncio.Task[str] | None = None
        blocks = variant.block_seconds or 0.0
        # A result, and a runner's first registration, wait for the block that commits them.
        self._timeout = config.submit_timeout + blocks

    async def listen(
        self, accept: Callable[[TaskMessage], None], opened: Callable[[], None]
    ) -> None:
        async def stream(metadata: Metadata) -> None:
            await self._channel.stream(
                self._executions.path, messages.ExecutionRequest(), self._read, accept, opened,
                metadata=metadata, probing=self.probing,
            )  # fmt: skip

        await self._with_token(stream)

    async def submit(self, execution_id: str, output: TaskOutput) -> None:
        request = _wire.result_request(execution_id, output)

        async def result(metadata: Metadata) -> None:
            await self._channel.call(
                self._result.path, request, self._result.reply.FromString,
                within=self._timeout, metadata=metadata,
            )  # fmt: skip

        await self._with_token(result)

    async def emit(self, event_key: str, data: Mapping[str, Any], within: float) -> None:
        request = _wire.runner_event_request(event_key, data)

        async def event(metadata: Metadata) -> None:
            await self._channel.call(
                self._event.path, request, self._event.reply.FromString,
                within=within, metadata=metadata,
            )  # fmt: skip

        await self._with_token(event)

    async def close(self) -> None:
        if self._registering is not None:
            self._registering.cancel()
        await self._channel.close()

    # The token -----------------------------------------------------------------------------------

    async def _with_token(self, call: Callable[[Metadata], Awaitable[T]]) -> T:
        """`call` with the token (registering first when there is none); a refusal saying the
        engine forgot the token makes the adapter forget it too, for the next call."""
        token = self._token if self._token is not None else await self._registered()
        try:
            return await call(((CREDENTIAL_TOKEN, token),))
        except CallFailed as failure:
            code = failure.code
            if self._token == token and code is not None and token_forgotten(code, failure.details):
                self._token = None
                log.warning("the engine no longer knows the service's registration (it "
                            "restarted): registering again")  # fmt: skip
            raise

    async def _registered(self) -> str:
        """The token of a registration, one at a time for every call that needs it."""
        if self._registering is None:
            self._registering = asyncio.ensure_future(self._register_now())
        registering = self._registering
        try:
            return await asyncio.shield(registering)
        finally:
            if registering.done() and self._registering is registering:
                self._registering = None

    async def _register_now(self) -> str:
        config = self._config
        reply = await self._channel.call(
            self._register.path,
            _wire.register_request(config.service_hash, config.env_hash),
            self._register.reply.FromString,
            within=self._timeout,
            metadata=((REQUEST_SIGNATURE, config.register_signature),),
        )
        token: str = reply.token
        self._token = token
        log.info("registered with the engine as its runner")
        return token


def _structs(data: bytes) -> bool:
    return False
