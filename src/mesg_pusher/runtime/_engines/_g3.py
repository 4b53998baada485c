"""The third generation's adapter: the Execution and Event APIs of engines v0.11 to v0.16 (the
`EngineApi` of ``_engine_api.py``), in the wire variant it is given: ``Execution/Stream``
filtered by the instance (MESG_TOKEN) and its executions in progress, ``Execution/Update`` with
the execution's outputs or error, ``Event/Create`` of the instance.

Under ``auto`` on v0.11 to v0.13 (the same rpcs, JSON texts or Structs) the form is read from
the first execution the engine sends; an event emitted before any execution came asks the
engine with a call it refuses whatever it is (an event without a key, `_wire.key_missing_probe`),
whose words say which.

`ExecutionApi` is a class so that the fourth generation (``_g4.py``), which kept these rpcs
and changed a few things, says only what changed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

from google.protobuf.message import Message

from ...mesg.protocol import calls
from ...tasks import TaskOutput
from .._config import ServeConfig
from .._engine_api import CallFailed, TaskMessage
from .._verdicts import json_text_answer, unreachable
from . import _wire
from ._channel import EngineChannel, Metadata
from ._choice import Variant

log = logging.getLogger("mesg_pusher.runtime")


class ExecutionApi:
    """The Execution and Event APIs of `variant` at `config.endpoint`."""

    generation = 3

    def __init__(self, config: ServeConfig, variant: Variant, *, probing: bool = False) -> None:
        self._config = config
        self.variant = variant
        self.probing = probing  # the engine may speak another protocol (``_probe.py``)
        self._channel = EngineChannel(config, self.generation)
        rpcs = calls(variant.first)
        self._stream, self._update, self._event = (
            rpcs["Execution/Stream"],
            rpcs["Execution/Update"],
            rpcs["Event/Create"],
        )
        self._json = variant.json_text
        self._read = _wire.execution_reader(variant, self._json_text)
        self._asking: asyncio.Lock | None = None
        # A result waits for the block that commits it (G4): the attempt's time covers it.
        self._submit_timeout = config.submit_timeout + (variant.block_seconds or 0.0)

    # What differs from one generation to the next ----------------------------------------------

    def stream_request(self) -> Message:
        return _wire.stream_request(self.variant, self._config.token)

    @property
    def instance(self) -> str:
        """The instance events are emitted for: MESG_TOKEN."""
        return self._config.token

    def update_metadata(self) -> Metadata:
        return ()

    # The EngineApi ------------------------------------------------------------------------------

    async def listen(
        self, accept: Callable[[TaskMessage], None], opened: Callable[[], None]
    ) -> None:
        await self._channel.stream(
            self._stream.path, self.stream_request(), self._read, accept, opened,
            probing=self.probing,
        )  # fmt: skip

    async def submit(self, execution_id: str, output: TaskOutput) -> None:
        json_text = await self._json_form()
        await self._channel.call(
            self._update.path,
            _wire.update_request(self.variant, execution_id, output, json_text),
            self._update.reply.FromString,
            within=self._submit_timeout,
            metadata=self.update_metadata(),
        )

    async def emit(self, event_key: str, data: Mapping[str, Any], within: float) -> None:
        json_text = await self._json_form(within)
        await self._channel.call(
            self._event.path,
            _wire.event_request(self.variant, self.instance, event_key, data, json_text),
            self._event.reply.FromString,
            within=within,
        )

    async def close(self) -> None:
        await self._channel.close()

    # JSON texts or Structs (v0.11 to v0.13 under auto) -------------------------------------------

    def _json_text(self, data: bytes) -> bool:
        """The stream's say: inputs as the execution `data` holds them."""
        if self._json is None:
            self._json = _wire.inputs_are_json(data)
            log.info(
                "the engine sends %s: it is %s",
                "JSON texts" if self._json else "Structs",
                "v0.11" if self._json else "v0.12 or v0.13",
            )
        return self._json

    async def _json_form(self, within: float | None = None) -> bool:
        """Whether data travels as JSON texts, asking the engine when nothing said it yet."""
        if self._json is not None:
            return self._json
        if self._asking is None:
            self._asking = asyncio.Lock()
        async with self._asking:
            if self._json is None:
                self._json = await self._ask(within or self._config.submit_timeout)
        return self._json

    async def _ask(self, within: float) -> bool:
        try:
            await self._channel.call(
                self._event.path,
                _wire.key_missing_probe(self.variant, self._config.token),
                self._event.reply.FromString,
                within=within,
            )
        except CallFailed as failure:
            code = failure.code
            if code is None or unreachable(code):
                raise
            return json_text_answer(code, failure.details)
        return True  # no engine takes an event without a key; had one, it read the text
