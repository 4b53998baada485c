"""The one way to the engine's adapters: the `EngineApi` for a configuration, one generation's
adapter, or (several left by the environment) the one that asks the engine which it speaks."""

from __future__ import annotations

from typing import Any

from .._config import ServeConfig
from .._engine_api import EngineApi
from ._choice import Variant
from ._g1 import G1Api
from ._g2 import G2Api
from ._g3 import ExecutionApi
from ._g4 import RunnerExecutionApi
from ._g5 import RunnerApi
from ._probe import ProbingApi


def _one(config: ServeConfig, variant: Variant, probing: bool) -> Any:
    generation = variant.generation
    if generation == 1:
        return G1Api(config, probing=probing)
    if generation == 2:
        return G2Api(config, probing=probing)
    if generation == 3:
        return ExecutionApi(config, variant, probing=probing)
    if generation == 4:
        return RunnerExecutionApi(config, variant, probing=probing)
    return RunnerApi(config, variant, probing=probing)


def adapter(config: ServeConfig) -> EngineApi:
    """The adapter of the variant `config` chose, or (several left) one that asks the engine
    which it speaks."""
    candidates = config.choice.candidates
    if len(candidates) == 1:
        made: EngineApi = _one(config, candidates[0], probing=False)
        return made
    return ProbingApi(
        [_one(config, variant, probing=True) for variant in candidates],
        [variant.name for variant in candidates],
    )
