"""An application of an engine of any release: run a task, hear the results, hear the events,
in that release's protocol. `EngineClient` is what ``mesg-pusher engine execute`` and ``listen``
use; it meets the stand-in or a real engine.

How each generation does it (the application rpcs the engine kept):
- G1 (v0.1-v0.9) and G2 (v0.10): ``api.Core`` ``ExecuteTask``, ``ListenResult``, ``ListenEvent``;
  the service is named by its token.
- G3 (v0.11-v0.16): ``[mesg.]api.Execution/Create`` and ``/Stream`` (the executions that
  complete or fail), ``[mesg.]api.Event/Stream``; the service is named by its instance hash.
- G4 (v0.17-v0.20): the same with the runner hash (``executorHash``); v0.17.0 alone wants the
  credential metadata on Create (`credentials`).
- G5 (v0.21-v0.26): the orchestrator's ``Execution/Create``, ``Execution/Stream`` and
  ``Event/Stream``, each signed (metadata ``mesg_request_signature``) with a key the engine
  trusts (`identity`). The protocol description says nothing of G5's application side; these are
  the engine's own orchestrator rpcs, the ``mesg.api.Execution`` calls it kept.

Each result is a `ResultHeard` (an output key only in G1; outputs or an error from G2); each
event an `EventHeard`. Results of an execution are matched by its id in the release's form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from grpc import aio

from .._json import dumps, loads
from ..mesg import b58decode, b58encode
from ..mesg.protocol import (
    CREDENTIAL_PASSPHRASE,
    CREDENTIAL_USERNAME,
    REQUEST_SIGNATURE,
    Release,
    calls,
    from_struct,
    multi_callable,
    to_struct,
)
from . import _g5_wire
from ._application import MessageStream
from ._model import Status, StreamEnded
from ._signing import Identity

Metadata = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class ResultHeard:
    """One answered execution as an application hears it."""

    execution_id: str
    task_key: str
    output_key: str  # G1 only
    outputs: Mapping[str, Any] | None  # None when it failed
    error: str | None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EventHeard:
    key: str
    data: Mapping[str, Any]


class Heard(MessageStream[Any]):
    """A stream of results or events, each also read into `heard` as it arrives."""

    def __init__(self, call: aio.UnaryStreamCall[Any, Any], read: Callable[[Any], Any]) -> None:
        super().__init__(call)
        self._read_one = read
        self.heard: list[Any] = []

    def _took(self, message: Any) -> None:
        self.heard.append(self._read_one(message))

    async def next_heard(self, index: int) -> Any:
        """Item number `index` (from 0) once it has arrived; the stream's error if it ended
        before (bound the wait with ``asyncio.timeout``)."""
        while len(self.heard) <= index:
            if self.ended and self.error is None:
                raise StreamEnded
            await self._changes()
        return self.heard[index]

    async def result_of(self, execution_id: str) -> ResultHeard:
        """The first result of that execution, once it arrived (bound the wait with
        ``asyncio.timeout``). Raises the stream's error if it failed."""
        while True:
            if self.error is not None:
                raise self.error
            for item in self.heard:
                if isinstance(item, ResultHeard) and item.execution_id == execution_id:
                    return item
            await self._changed.wait()


class EngineClient:
    """An application of the engine at `address` speaking `release`'s protocol. `identity`: the
    key that signs G5's calls; `credentials`: v0.17.0's (user name, passphrase)."""

    def __init__(
        self,
        address: str,
        release: Release,
        *,
        identity: Identity | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.address = address
        self.release = release
        self.identity = identity
        self.credentials = credentials
        self._channel = aio.insecure_channel(address)
        self._rpcs = calls(release)

    def _metadata(self, request: Any) -> Metadata:
        if self.release.generation == 5:
            if self.identity is None:
                raise ValueError("the fifth generation's application calls are signed: give a key")
            signature = self.identity.sign(_g5_wire.request_payload(request))
            return ((REQUEST_SIGNATURE, signature),)
        if self.release.credentials_on_update and self.credentials is not None:
            username, passphrase = self.credentials
            return ((CREDENTIAL_USERNAME, username), (CREDENTIAL_PASSPHRASE, passphrase))
        return ()

    def _hash(self, service: str) -> bytes | str:
        """A service id (base58) as the release's hash field holds it."""
        return b58decode(service) if self.release.bytes_hashes else service

    def _id(self, value: str | bytes) -> str:
        return b58encode(value) if isinstance(value, bytes) else value

    async def execute(
        self,
        service: str,
        task: str,
        inputs: Mapping[str, Any],
        *,
        tags: Iterable[str] = (),
        deadline: float = 30.0,
    ) -> str:
        """A new execution of `task` with `inputs`; its id in the release's form. Refusals
        raise ``grpc.aio.AioRpcError`` with the engine's text in ``details()``."""
        generation = self.release.generation
        rpcs = self._rpcs
        if generation <= 2:
            method = rpcs["Core/ExecuteTask"]
            request: Any = method.request(
                serviceID=service, taskKey=task, inputData=dumps(inputs), executionTags=list(tags)
            )
        else:
            method = rpcs["Execution/Create"]
            request = method.request(taskKey=task, tags=list(tags))
            if self.release.json_text:
                request.inputs = dumps(inputs)
            else:
                request.inputs.CopyFrom(to_struct(inputs))
            if generation == 3:
                request.instanceHash = self._hash(service)
            else:
                request.executorHash = b58decode(service)
        reply = await multi_callable(self._channel, method)(
            request, timeout=deadline, metadata=self._metadata(request)
        )
        if generation == 1:
            return str(reply.executionID)
        if generation == 2:
            return str(reply.executionHash)
        return self._id(reply.hash)

    def results(self, service: str, *, task: str = "", tags: Iterable[str] = ()) -> Heard:
        """The service's executions as they complete or fail (of `task` when given, with
        every one of `tags`); read once entered with ``async with``."""
        generation = self.release.generation
        if generation <= 2:
            method = self._rpcs["Core/ListenResult"]
            request: Any = method.request(serviceID=service, taskFilter=task, tagFilters=list(tags))
            read = _first_result if generation == 1 else _second_result
        else:
            method = self._rpcs["Execution/Stream"]
            request = method.request()
            wanted = request.filter
            wanted.statuses.extend([Status.COMPLETED.value, Status.FAILED.value])
            wanted.taskKey = task
            wanted.tags.extend(tags)
            if generation == 3:
                wanted.instanceHash = self._hash(service)
            else:
                wanted.executorHash = b58decode(service)
            read = self._later_result
        call = multi_callable(self._channel, method)(request, metadata=self._metadata(request))
        return Heard(call, read)

    def events(self, service: str, *, event: str = "") -> Heard:
        """The service's events as they come (of the key `event` when given). G4 and G5 name a
        service by its runner, which an event does not carry: there every event is heard."""
        generation = self.release.generation
        if generation <= 2:
            method = self._rpcs["Core/ListenEvent"]
            request: Any = method.request(serviceID=service, eventFilter=event)
            read = _first_event
        else:
            method = self._rpcs["Event/Stream"]
            request = method.request()
            request.filter.key = event
            if generation == 3:
                request.filter.instanceHash = self._hash(service)
            read = self._later_event
        call = multi_callable(self._channel, method)(request, metadata=self._metadata(request))
        return Heard(call, read)

    def _later_result(self, message: Any) -> ResultHeard:
        failed = message.status == Status.FAILED.value
        return ResultHeard(
            self._id(message.hash),
            message.taskKey,
            "",
            None if failed else self._data(message, "outputs"),
            message.error if failed else None,
            tuple(message.tags),
        )

    def _later_event(self, message: Any) -> EventHeard:
        return EventHeard(message.key, self._data(message, "data"))

    def _data(self, message: Any, name: str) -> dict[str, Any]:
        if self.release.json_text:
            value = loads(getattr(message, name) or "{}")
            return value if isinstance(value, dict) else {}
        return from_struct(getattr(message, name))

    async def close(self) -> None:
        await self._channel.close(None)

    async def __aenter__(self) -> EngineClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.close()


def _first_result(message: Any) -> ResultHeard:
    return ResultHeard(
        message.executionID,
        message.taskKey,
        message.outputKey,
        loads(message.outputData),
        None,
        tuple(message.executionTags),
    )


def _second_result(message: Any) -> ResultHeard:
    failed = bool(message.error)
    return ResultHeard(
        message.executionHash,
        message.taskKey,
        "",
        None if failed else loads(message.outputData),
        message.error if failed else None,
        tuple(message.executionTags),
    )


def _first_event(message: Any) -> EventHeard:
    return EventHeard(message.eventKey, loads(message.eventData))
