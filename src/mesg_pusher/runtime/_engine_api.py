"""What the service needs of an engine, whatever the generation of its protocol: one small
interface (`EngineApi`) that every generation's adapter implements, and the values it hands over.

An adapter listens for executions on one stream (`listen`, until the stream ends or fails),
submits one result (`submit`) and emits one event (`emit`), each a single call: every retry,
reconnection and backoff is the service's own and the same for every generation (``_retry.py``,
``_engine_link.py``). A call that fails raises `CallFailed` with the gRPC status, the engine's
text and the generation whose words it is in, which the service reads (``_verdicts.py``).

The adapters are ``_engines/_g1.py`` (engines v0.1 to v0.9) to ``_engines/_g5.py`` (v0.21 to
v0.26); ``_engines/_probe.py`` asks the engine which one it speaks when the environment leaves
several (``_engines/_choice.py``). Their messages are made and read in ``_engines/_wire.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from .._errors import MesgPusherError
from ..tasks import TaskOutput

if TYPE_CHECKING:  # statuses are read by name, so this module needs no gRPC
    from grpc import StatusCode


@dataclass(frozen=True, slots=True)
class TaskMessage:
    """One message of the task stream, read as far as it can be: its size in bytes, and its
    execution id (a text in every generation: raw hashes in base58), task key and inputs (JSON
    text, or already read where they travel as a Struct). `problem` says why it could not be
    decoded (naming fields, never their contents); then the id and the key are None when they
    cannot be read either, and the inputs always are."""

    size: int
    execution_id: str | None
    task_key: str | None
    input_data: str | Mapping[str, Any] | None
    problem: str | None = None


class CallFailed(MesgPusherError):
    """A call to the engine failed: its gRPC status (None when a stream just ended), the
    engine's text, and the generation whose words those are (0: none in particular)."""

    def __init__(self, code: StatusCode | None, details: str, generation: int = 1) -> None:
        super().__init__(details)
        self.code = code
        self.details = details
        self.generation = generation

    @property
    def reason(self) -> str:
        """The failure as a log line shows it."""
        return self.details if self.code is None else f"{self.code.name}: {self.details}"


class EngineApi(Protocol):
    """One generation of the engine's protocol, for the service whose identity (a token, an
    instance and runner, a registration) the adapter was given."""

    async def listen(
        self, accept: Callable[[TaskMessage], None], opened: Callable[[], None]
    ) -> None:
        """Open one task stream and hand every message to `accept` as it comes (never
        waiting); call `opened` once the stream is up. Returns when the engine ends the
        stream; raises `CallFailed` when it fails."""
        ...

    async def submit(self, execution_id: str, output: TaskOutput) -> None:
        """Submit `output` as the result of `execution_id`; `CallFailed` when it fails."""
        ...

    async def emit(self, event_key: str, data: Mapping[str, Any], within: float) -> None:
        """Emit the event `event_key` with `data`, given `within` seconds; `CallFailed` when it
        fails."""
        ...

    async def close(self) -> None:
        """Let go of the connection."""
        ...
