"""The second generation's adapter: ``api.Service`` of engines v0.10.0 and v0.10.1 (the
`EngineApi` of ``_engine_api.py``). The first generation's rpc paths and stream (`G1Api`),
with the execution's hex hash, and a result that is the execution's outputs or its error text
(``_wire.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...tasks import TaskOutput
from .._engine_api import TaskMessage
from . import _wire
from ._g1 import G1Api


class G2Api(G1Api):
    """``api.Service`` of v0.10 at `config.endpoint`, for the service whose token (its hash)
    `config` holds."""

    generation = 2

    def read_task(self, data: bytes) -> TaskMessage:
        return _wire.read_g2_task(data)

    def result(self, execution_id: str, output: TaskOutput) -> Any:
        return _wire.g2_result(execution_id, output)

    def event(self, event_key: str, data: Mapping[str, Any]) -> Any:
        return _wire.g2_event(self._config.token, event_key, data)
