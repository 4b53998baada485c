"""The stand-in's own model of what the engine holds, the same for every protocol generation:
an execution as it was created (`CreatedExecution`), its `Result` once answered, an `Event` as
it was published, the record of each result and event call (`Submission`, `EventCall`), the
`Stream` a listener reads, and the engine's refusal (`EngineError`).

A generation's wire module turns these into its messages and back; nothing here knows a
message.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, TypeVar

from .._errors import MesgPusherError

T = TypeVar("T")
#: Filters that match everything (a task or event key of "" or "*").
ALL = ("", "*")


class EngineError(MesgPusherError):
    """A refusal of the engine; its text is the engine's (sent as gRPC status UNKNOWN unless
    `code` names another, as gRPC's status code name: ``"UNAUTHENTICATED"``)."""

    def __init__(self, text: str, code: str = "UNKNOWN") -> None:
        super().__init__(text)
        self.code = code


class StreamEnded(MesgPusherError):
    """The engine ended the stream (it is shutting down)."""


class IdShape(Enum):
    """The shape of the execution ids the first generation's engines make."""

    JOINED = "v0.1-v0.3"  # time.service.task.{inputs}
    DIGEST = "v0.4+"  # 40 hex digits


class Status(Enum):
    """An execution's status, numbered as the later generations' ``Status`` enum."""

    IN_PROGRESS = 2
    COMPLETED = 3
    FAILED = 4


@dataclass(frozen=True, slots=True)
class CreatedExecution:
    """An execution as it was created. `id` is how the engine names it (G1 an id, G2 a hex
    hash, from G3 the base58 of `hash`); `token` is the service's token (G1, G2), instance hash
    (G3) or runner hash (G4, G5) in base58; `input_data` the inputs as the engine hands them
    (JSON text, Go's encoding), `inputs` decoded (None for a raw G1 delivery)."""

    id: str
    token: str
    task_key: str
    input_data: str
    tags: tuple[str, ...] = ()
    created: float = 0.0
    number: int = 0  # in order of creation, from 1: how the stand-in's log names it
    inputs: Mapping[str, Any] | None = None
    hash: bytes = b""
    instance: bytes = b""
    executor: bytes = b""
    block: int = 0  # the block that created it (G4, G5)


@dataclass(frozen=True, slots=True)
class Result:
    """An execution's one answer. The first generation's carries the output key and data; a
    later one either `data` (the outputs, Completed) or `error` (Failed)."""

    service_id: str
    execution_id: str
    task_key: str
    output_key: str
    output_data: str
    data: Mapping[str, Any]
    tags: tuple[str, ...] = ()
    error: str | None = None
    block: int = 0  # the block that committed it (G4, G5)
    finished: float = 0.0  # when, in seconds since the epoch

    @property
    def status(self) -> Status:
        return Status.FAILED if self.error is not None else Status.COMPLETED


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An execution at one moment: in progress (`result` None) or finished."""

    execution: CreatedExecution
    result: Result | None = None

    @property
    def status(self) -> Status:
        return Status.IN_PROGRESS if self.result is None else self.result.status


@dataclass(frozen=True, slots=True)
class Event:
    """An event the engine accepted and published (nothing keeps it)."""

    token: str
    key: str
    data: Mapping[str, Any]
    data_text: str  # the data as Go encodes it
    hash: bytes = b""
    instance: bytes = b""


@dataclass(frozen=True, slots=True)
class EventCall:
    """One event call as the engine saw it; `error` is None when it was accepted."""

    token: str
    event_key: str
    event_data: str
    error: str | None


@dataclass(frozen=True, slots=True)
class Submission:
    """One result call as the engine saw it; `error` is None when it was accepted. From G2 a
    result may be an error text (`failure`) instead of outputs."""

    execution_id: str
    output_key: str
    output_data: str
    error: str | None
    failure: str | None = None


class Stream(Generic[T]):
    """One listener's stream. With `handover`, `offer` returns once the listener has taken the
    item (the first generation's unbuffered hand-over); without it items queue without bound.
    `translate` turns what the engine offers into what the listener reads (its generation's
    message), when it is read."""

    def __init__(
        self,
        *,
        handover: bool,
        on_close: Callable[[Stream[T]], None],
        translate: Callable[[Any], T] | None = None,
    ) -> None:
        self._handover = handover
        self._items: deque[Any] = deque()
        self._changed = asyncio.Event()
        self._on_close = on_close
        self._translate = translate
        self.closed = False
        self._ended = False

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def offer(self, item: Any) -> None:
        if self.closed:
            return
        self._items.append(item)
        self._notify()
        while self._handover and self._items and not self.closed:
            await self._changed.wait()

    def offer_nowait(self, item: Any) -> None:
        if not self.closed:
            self._items.append(item)
            self._notify()

    async def get(self) -> T:
        """The next item; StreamEnded once `end` was called."""
        while not self._items:
            if self._ended:
                raise StreamEnded
            await self._changed.wait()
        item = self._items.popleft()
        self._notify()
        return self._translate(item) if self._translate is not None else item

    def close(self) -> None:
        """The listener is gone: forget it, and free a publisher waiting on it."""
        if self.closed:
            return
        self.closed = True
        self._items.clear()
        self._notify()
        self._on_close(self)

    def end(self) -> None:
        """Close, and make a reader waiting in `get` raise StreamEnded."""
        self._ended = True
        self.close()
