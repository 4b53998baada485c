"""Asking the engine which protocol it speaks, when its environment leaves several
(``_choice.py``): an `EngineApi` that opens the task stream of each candidate in turn, and keeps
the first the engine accepts.

Only streams are opened while asking, so nothing is sent that could be taken twice or lost: an
engine that does not speak a candidate refuses its stream at once (the path is not served, or
the request cannot be read: `_verdicts.not_offered`) and the next is tried; a stream counts as
accepted once its ``status: ready`` header came, its first execution did, or (engines before
v0.7 send no header) it stayed open a while. Every execution arrives on the chosen stream, so a
result always goes to the candidate that sent its execution. An event emitted before the choice
fails as an engine not reached would, and is tried again. A failure that says nothing of the
protocol (the engine is not reached) ends the attempt; the service's retry loop starts it over.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import grpc

from ...tasks import TaskOutput
from .._engine_api import CallFailed, EngineApi, TaskMessage
from .._verdicts import not_offered

log = logging.getLogger("mesg_pusher.runtime")


class Candidate(EngineApi, Protocol):
    """An adapter that can be asked: its generation, and whether it is still being asked."""

    generation: int
    probing: bool


class ProbingApi:
    """The first of `candidates` (adapters made with ``probing=True``; `names` name them) whose
    stream the engine accepts."""

    generation = 0

    def __init__(self, candidates: Sequence[Candidate], names: Sequence[str]) -> None:
        self._candidates = list(zip(candidates, names, strict=True))
        self.chosen: Candidate | None = None

    async def listen(
        self, accept: Callable[[TaskMessage], None], opened: Callable[[], None]
    ) -> None:
        if self.chosen is not None:
            await self.chosen.listen(accept, opened)
            return
        refused: list[str] = []
        for candidate, name in self._candidates:
            up = False

            def taken(candidate: Candidate = candidate, name: str = name) -> None:
                nonlocal up
                if not up:
                    up = True
                    self._choose(candidate, name)
                    opened()

            def first(message: TaskMessage, taken: Callable[[], None] = taken) -> None:
                taken()
                accept(message)

            try:
                await candidate.listen(first, taken)
                return  # the stream ended: the service's retry loop listens again
            except CallFailed as failure:
                code = failure.code
                if (
                    self.chosen is not None
                    or code is None
                    or not not_offered(code, failure.details)
                ):
                    raise
                refused.append(f"{name}: {failure.reason}")
        raise CallFailed(grpc.StatusCode.UNIMPLEMENTED, "; ".join(refused), generation=0)

    def _choose(self, candidate: Candidate, name: str) -> None:
        self.chosen = candidate
        candidate.probing = False
        log.info("found the engine's protocol", extra={"fields": {"engine": name}})

    def _speaking(self) -> Candidate:
        if self.chosen is None:
            raise CallFailed(
                grpc.StatusCode.UNAVAILABLE,
                "the engine's protocol is not known yet (its task stream was never open)",
                generation=0,
            )
        return self.chosen

    async def submit(self, execution_id: str, output: TaskOutput) -> None:
        await self._speaking().submit(execution_id, output)

    async def emit(self, event_key: str, data: Mapping[str, Any], within: float) -> None:
        await self._speaking().emit(event_key, data, within)

    async def close(self) -> None:
        for candidate, _ in self._candidates:
            await candidate.close()
