"""The first generation's adapter: ``api.Service`` of engines v0.1 to v0.9 (the `EngineApi`
of ``_engine_api.py``): the ``ListenTask`` stream, and the ``SubmitResult`` and ``EmitEvent``
calls, each made once. The token travels in the messages; an output keeps its key.

The second generation (``_g2.py``) speaks the same rpcs with its own messages: it changes only
what `G1Api` reads and writes (`read_task`, `result`, `event`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from ...mesg.protocol import service_pb2 as messages
from ...tasks import TaskOutput
from .._config import ServeConfig
from .._engine_api import TaskMessage
from . import _wire
from ._channel import EngineChannel

LISTEN_TASK: Final = "/api.Service/ListenTask"
SUBMIT_RESULT: Final = "/api.Service/SubmitResult"
EMIT_EVENT: Final = "/api.Service/EmitEvent"


class G1Api:
    """``api.Service`` at `config.endpoint`, for the service whose token `config` holds."""

    generation = 1

    def __init__(self, config: ServeConfig, *, probing: bool = False) -> None:
        self._config = config
        self.probing = probing  # the engine may speak another protocol (``_probe.py``)
        self._channel = EngineChannel(config, self.generation)

    # What this generation reads and writes.

    def read_task(self, data: bytes) -> TaskMessage:
        return _wire.read_g1_task(data)

    def result(self, execution_id: str, output: TaskOutput) -> Any:
        return _wire.g1_result(execution_id, output)

    def event(self, event_key: str, data: Mapping[str, Any]) -> Any:
        return _wire.g1_event(self._config.token, event_key, data)

    # The rpcs.

    async def listen(
        self, accept: Callable[[TaskMessage], None], opened: Callable[[], None]
    ) -> None:
        # ListenTaskRequest, and the empty replies, are the same messages in both generations.
        request = messages.ListenTaskRequest(token=self._config.token)
        await self._channel.stream(
            LISTEN_TASK, request, self.read_task, accept, opened, probing=self.probing
        )

    async def submit(self, execution_id: str, output: TaskOutput) -> None:
        await self._channel.call(
            SUBMIT_RESULT,
            self.result(execution_id, output),
            messages.SubmitResultReply.FromString,  # empty in both generations
            within=self._config.submit_timeout,
        )

    async def emit(self, event_key: str, data: Mapping[str, Any], within: float) -> None:
        await self._channel.call(
            EMIT_EVENT,
            self.event(event_key, data),
            messages.EmitEventReply.FromString,
            within=within,
        )

    async def close(self) -> None:
        await self._channel.close()
