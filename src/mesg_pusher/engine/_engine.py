"""The engine's bookkeeping (Core v0.2.0 semantics), without the network: services by token,
executions in progress, task listeners, results and their listeners.

What it keeps from the real engine, because the service must cope with it:
- An execution's inputs are validated against mesg.yml before it exists; the service receives
  them re-encoded the Go way (keys sorted, ``<>&`` escaped).
- Executions are handed to every task listener of the service in turn, under one global lock,
  each hand-over waiting until the listener has taken it: a listener that stops reading stalls
  publishing for every service. An execution created while nobody listens is never delivered.
- A result is accepted once per execution, after its output key and data pass mesg.yml; the
  execution then leaves the in-progress set, so a second result is refused ("doesn't exists").
  A refused result leaves the execution in progress.

Execution ids take either of the engine's shapes (`IdShape`): the v0.1-v0.3 join of the
creation time, service name, task key and inputs (spaces, quotes, every input and secret), or
the 40-hex digest of v0.4 on.

Events (``EmitEvent``) are read as the engine reads them: the JSON first (Go's words when it is
not an object), then the event key against mesg.yml, then the data by the inputs' rules; an
accepted event is published to the ``ListenEvent`` listeners of that moment and stored nowhere,
so one emitted while nobody listens is gone.

It also records what tests need to see: every ``SubmitResult`` and every ``EmitEvent`` (accepted
or not) and every accepted result. And it can misbehave as a faulty engine or network might,
for the fault tests: hand a service raw ``TaskData`` the real engine would have refused
(`deliver`), bytes protobuf cannot decode (`deliver_raw`), an execution a second time
(`redeliver`); refuse results in any of its words (`refuse_next`, `gone_form`); and freeze,
neither handing executions over nor answering results or events until thawed (`freeze`,
`thaw`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Generic, TypeVar

from .._errors import MesgPusherError
from ..mesg import ServiceDefinition, load_packaged, validate, words
from ..mesg.protocol.core_pb2 import EventData, ResultData
from ..mesg.protocol.service_pb2 import TaskData
from . import _messages

log = logging.getLogger("mesg_pusher.engine")
T = TypeVar("T")
ALL = ("", "*")  # filters that match everything


class EngineError(MesgPusherError):
    """A refusal of the engine; its text is the engine's (sent as gRPC status UNKNOWN)."""


class IdShape(Enum):
    """The shape of the execution ids the engine makes."""

    JOINED = "v0.1-v0.3"  # time.service.task.{inputs}
    DIGEST = "v0.4+"  # 40 hex digits


@dataclass(frozen=True, slots=True)
class Execution:
    id: str
    token: str
    task_key: str
    input_data: str
    tags: tuple[str, ...] = ()
    created: float = 0.0
    number: int = 0  # in order of creation, from 1: how the stand-in's log names it


@dataclass(frozen=True, slots=True)
class Result:
    service_id: str
    execution_id: str
    task_key: str
    output_key: str
    output_data: str
    data: Mapping[str, Any]
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Emission:
    """One ``EmitEvent`` call as the engine saw it; `error` is None when it was accepted."""

    token: str
    event_key: str
    event_data: str
    error: str | None


@dataclass(frozen=True, slots=True)
class Submission:
    """One ``SubmitResult`` call as the engine saw it; `error` is None when it was accepted."""

    execution_id: str
    output_key: str
    output_data: str
    error: str | None


class StreamEnded(MesgPusherError):
    """The engine ended the stream (it is shutting down)."""


class Stream(Generic[T]):
    """One listener's stream. With `handover`, `offer` returns once the listener has taken the
    item (the engine's unbuffered hand-over); without it items queue without bound."""

    def __init__(self, *, handover: bool, on_close: Callable[[Stream[T]], None]) -> None:
        self._handover = handover
        self._items: deque[T] = deque()
        self._changed = asyncio.Event()
        self._on_close = on_close
        self.closed = False
        self._ended = False

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def offer(self, item: T) -> None:
        if self.closed:
            return
        self._items.append(item)
        self._notify()
        while self._handover and self._items and not self.closed:
            await self._changed.wait()

    def offer_nowait(self, item: T) -> None:
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
        return item

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


@dataclass(slots=True)
class _ResultFilter:
    task: str
    output: str
    tags: frozenset[str]

    def matches(self, result: Result) -> bool:
        return (
            (self.task in ALL or self.task == result.task_key)
            and (self.output in ALL or self.output == result.output_key)
            and self.tags.issubset(result.tags)
        )


@dataclass(slots=True)
class _Service:
    token: str
    definition: ServiceDefinition
    task_listeners: list[Stream[TaskData | bytes]] = field(default_factory=list)
    result_listeners: list[tuple[Stream[ResultData], _ResultFilter]] = field(default_factory=list)
    #: ``ListenEvent`` streams and the event key each wants ("" for every event).
    event_listeners: list[tuple[Stream[EventData], str]] = field(default_factory=list)


class Engine:
    """The engine's state. `add_service` registers a service definition under a token (its
    id); ``Engine()`` starts with the packaged mesg.yml, whose token is `token`.

    `ready_header`: send ``status: ready`` on ``ListenTask`` as engines from v0.7 do (v0.2
    sends nothing). `ids`: the shape of execution ids. `gone_form`: the words refusing a result
    for an execution not in progress (the API's, or the execution package's).
    """

    def __init__(
        self,
        definition: ServiceDefinition | None = None,
        *,
        token: str | None = None,
        ready_header: bool = False,
        ids: IdShape = IdShape.DIGEST,
        gone_form: words.EngineText = words.EXECUTION_GONE,
        keep_submissions: int = 1_000_000,
    ) -> None:
        self.ready_header = ready_header
        self.ids = ids
        self.gone_form = gone_form
        self._last_created = 0
        self._refusals: deque[str] = deque()
        self._thawed = asyncio.Event()
        self.held = 0  # calls a frozen engine holds
        self._thawed.set()
        self._services: dict[str, _Service] = {}
        self.in_progress: dict[str, Execution] = {}
        self.results: dict[str, Result] = {}
        self.submissions: deque[Submission] = deque(maxlen=keep_submissions)
        self.emissions: deque[Emission] = deque(maxlen=keep_submissions)
        self.executions_created = 0
        self._created: dict[str, Execution] = {}
        self._publishing = asyncio.Lock()
        self._changed = asyncio.Event()
        self.token = self.add_service(definition or load_packaged(), token=token)

    # Services ------------------------------------------------------------------------------

    def add_service(self, definition: ServiceDefinition, *, token: str | None = None) -> str:
        """Register `definition`; its token (a new random one unless given)."""
        token = token if token is not None else secrets.token_hex(20)
        self._services[token] = _Service(token, definition)
        return token

    def definition(self, token: str) -> ServiceDefinition:
        return self._service(token).definition

    def _service(self, token: str) -> _Service:
        service = self._services.get(token)
        if service is None:
            raise EngineError(_messages.service_not_found(token))
        return service

    def task_listeners(self, token: str | None = None) -> int:
        """How many ``ListenTask`` streams the service has open."""
        return len(self._service(token or self.token).task_listeners)

    def result_listeners(self, token: str | None = None) -> int:
        return len(self._service(token or self.token).result_listeners)

    # api.Core ------------------------------------------------------------------------------

    async def execute(
        self,
        service_id: str,
        task_key: str,
        input_data: str | Mapping[str, Any],
        tags: Iterable[str] = (),
    ) -> str:
        """``ExecuteTask``: validate, create the execution, hand it to the listeners; its id."""
        service = self._service(service_id)
        # A mapping travels as an application would send it; the engine then reads it as Go.
        text = input_data if isinstance(input_data, str) else json.dumps(input_data)
        inputs = _decoded(text)
        definition = service.definition
        task = definition.tasks.get(task_key)
        if task is None:
            raise EngineError(_messages.task_not_found(task_key, definition.name))
        problems = validate(task.inputs, inputs)
        if problems:
            raise EngineError(_messages.inputs_invalid(task_key, problems))
        return await self._create(service, task_key, _messages.go_json(inputs), tuple(tags))

    async def deliver(self, token: str, task_key: str, input_data: str) -> str:
        """Hand the service a ``TaskData`` with these raw fields, unvalidated (what a faulty
        or future engine might send); its execution id."""
        return await self._create(self._service(token), task_key, input_data, ())

    async def deliver_raw(
        self, token: str, execution_id: bytes, task_key: bytes, input_data: bytes
    ) -> str | None:
        """Hand the service a ``TaskData`` whose fields are these bytes, UTF-8 or not (protobuf
        cannot decode one that is not). When the id is UTF-8 the execution is in progress, so a
        result for it is taken; its id, or None."""
        service = self._service(token)
        try:
            text_id: str | None = execution_id.decode("utf-8")
        except UnicodeDecodeError:
            text_id = None
        if text_id is not None:
            execution = Execution(
                text_id,
                service.token,
                task_key.decode("utf-8", "replace"),
                input_data.decode("utf-8", "replace"),
                (),
                time.time(),
                self._count(),
            )
            self.in_progress[text_id] = execution
        await self._hand_over(
            service, _messages.task_data_bytes(execution_id, task_key, input_data)
        )
        return text_id

    async def redeliver(self, execution_id: str) -> None:
        """Hand an execution to the listeners once more, as it was first (a duplicate)."""
        execution = self.in_progress.get(execution_id)
        if execution is None:
            known = self.results.get(execution_id)
            if known is None:
                raise EngineError(self.gone_form.format(id=execution_id))
            execution = self._created[execution_id]
        message = TaskData(
            executionID=execution.id, taskKey=execution.task_key, inputData=execution.input_data
        )
        await self._hand_over(self._services[execution.token], message)

    async def _create(
        self, service: _Service, task_key: str, input_data: str, tags: tuple[str, ...]
    ) -> str:
        created = self._created_ns()
        execution_id = self._new_id(created, service.definition.name, task_key, input_data)
        # Built before the execution exists: a message that cannot be built leaves nothing.
        message = TaskData(executionID=execution_id, taskKey=task_key, inputData=input_data)
        execution = Execution(
            execution_id,
            service.token,
            task_key,
            input_data,
            tags,
            created / 1e9,
            self._count(),
        )
        self.in_progress[execution.id] = execution
        self._created[execution.id] = execution
        listeners = await self._hand_over(service, message)
        if log.isEnabledFor(logging.INFO):
            log.info(
                "execution %s of task %s created, handed to %d listeners",
                self._shown(execution.id),
                task_key,
                listeners,
            )
        return execution.id

    async def _hand_over(self, service: _Service, message: TaskData | bytes) -> int:
        """Give `message` to each task listener in turn under the global lock; how many."""
        async with self._publishing:  # the engine's global lock
            await self._thawed.wait()
            listeners = list(service.task_listeners)
            for listener in listeners:
                await listener.offer(message)
        self._notify()
        return len(listeners)

    def _count(self) -> int:
        self.executions_created += 1
        return self.executions_created

    def _created_ns(self) -> int:
        """Now in nanoseconds, later than any id made before (ids of one task and inputs differ
        by their time alone)."""
        self._last_created = max(time.time_ns(), self._last_created + 1)
        return self._last_created

    def _new_id(self, created_ns: int, service: str, task_key: str, input_data: str) -> str:
        joined = words.JOINED_ID.format(
            created=_messages.go_time(created_ns), service=service, task=task_key, inputs=input_data
        )
        if self.ids is IdShape.JOINED:
            return joined
        return hashlib.sha1(joined.encode("utf-8", "surrogatepass")).hexdigest()  # noqa: S324

    def _shown(self, execution_id: str) -> str:
        """How the stand-in's log names an execution: a joined id holds the inputs, secrets
        included, so it is named by its number."""
        if words.DIGEST_ID.fullmatch(execution_id):
            return execution_id
        execution = self._created.get(execution_id) or self.in_progress.get(execution_id)
        return f"#{execution.number}" if execution is not None else "(not one of ours)"

    def listen_results(
        self,
        service_id: str,
        task_filter: str = "",
        output_filter: str = "",
        tag_filters: Iterable[str] = (),
    ) -> Stream[ResultData]:
        """``ListenResult``: a stream of the service's results that pass the filters."""
        service = self._service(service_id)
        definition = service.definition
        if task_filter not in ALL:
            task = definition.tasks.get(task_filter)
            if task is None:
                raise EngineError(_messages.task_not_found(task_filter, definition.name))
            if output_filter not in ALL and output_filter not in task.outputs:
                raise EngineError(
                    _messages.output_not_found(output_filter, task_filter, definition.name)
                )
        wanted = _ResultFilter(task_filter, output_filter, frozenset(tag_filters))

        def forget(subscription: Stream[ResultData]) -> None:
            service.result_listeners[:] = [
                pair for pair in service.result_listeners if pair[0] is not subscription
            ]
            self._notify()

        subscription: Stream[ResultData] = Stream(handover=False, on_close=forget)
        service.result_listeners.append((subscription, wanted))
        self._notify()
        return subscription

    # api.Service ---------------------------------------------------------------------------

    def listen_tasks(self, token: str) -> Stream[TaskData | bytes]:
        """``ListenTask``: the service's stream of executions from now on (raw bytes only
        from `deliver_raw`)."""
        service = self._service(token)

        def forget(subscription: Stream[TaskData | bytes]) -> None:
            if subscription in service.task_listeners:
                service.task_listeners.remove(subscription)
            self._notify()

        subscription: Stream[TaskData | bytes] = Stream(handover=True, on_close=forget)
        service.task_listeners.append(subscription)
        self._notify()
        return subscription

    def submit_result(self, execution_id: str, output_key: str, output_data: str) -> Result:
        """``SubmitResult``: accept the execution's one result, or refuse it."""
        try:
            result = self._accept(execution_id, output_key, output_data)
        except EngineError as error:
            self.submissions.append(Submission(execution_id, output_key, output_data, str(error)))
            shown = self._shown(execution_id)
            log.info(
                "result for execution %s refused: %s",
                shown,
                str(error).replace(execution_id, shown) if execution_id else error,
            )
            self._notify()
            raise
        if log.isEnabledFor(logging.INFO):
            log.info(
                "execution %s answered with %s %s",
                self._shown(execution_id),
                result.output_key,
                result.output_data,
            )
        self.submissions.append(Submission(execution_id, output_key, output_data, None))
        message = ResultData(
            executionID=result.execution_id,
            taskKey=result.task_key,
            outputKey=result.output_key,
            outputData=result.output_data,
            executionTags=result.tags,
        )
        service = self._services[result.service_id]
        for listener, wanted in list(service.result_listeners):
            if wanted.matches(result):
                listener.offer_nowait(message)
        self._notify()
        return result

    def _accept(self, execution_id: str, output_key: str, output_data: str) -> Result:
        if self._refusals:
            raise EngineError(self._refusals.popleft())
        execution = self.in_progress.get(execution_id)
        if execution is None:
            raise EngineError(self.gone_form.format(id=execution_id))
        data = _decoded(output_data)
        definition = self._services[execution.token].definition
        task = definition.tasks.get(execution.task_key)
        if task is None:  # only reachable through `deliver`
            raise EngineError(_messages.task_not_found(execution.task_key, definition.name))
        output = task.outputs.get(output_key)
        if output is None:
            raise EngineError(
                _messages.output_not_found(output_key, execution.task_key, definition.name)
            )
        problems = validate(output.data, data)
        if problems:
            raise EngineError(_messages.outputs_invalid(output_key, execution.task_key, problems))
        del self.in_progress[execution_id]
        result = Result(
            execution.token,
            execution_id,
            execution.task_key,
            output_key,
            _messages.go_json(data),
            data,
            execution.tags,
        )
        self.results[execution_id] = result
        return result

    def emit_event(self, token: str, event_key: str, event_data: str) -> None:
        """``EmitEvent``: accept the event and publish it to the listeners of this moment, or
        refuse it. Checked in the engine's order: the token, the JSON, the key, the data."""
        try:
            service = self._service(token)
            definition = service.definition
            data = _decoded(event_data)
            event = definition.events.get(event_key)
            if event is None:
                raise EngineError(_messages.event_not_found(event_key, definition.name))
            problems = validate(event.data, data)
            if problems:
                raise EngineError(_messages.event_data_invalid(event_key, problems))
        except EngineError as error:
            self.emissions.append(Emission(token, event_key, event_data, str(error)))
            log.info("event %s refused: %s", event_key, error)
            self._notify()
            raise
        self.emissions.append(Emission(token, event_key, event_data, None))
        message = EventData(eventKey=event_key, eventData=_messages.go_json(data))
        listeners = 0
        for listener, wanted in list(service.event_listeners):
            if wanted in ALL or wanted == event_key:
                listener.offer_nowait(message)
                listeners += 1
        if log.isEnabledFor(logging.INFO):
            log.info("event %s emitted, published to %d listeners", event_key, listeners)
        self._notify()

    def emitted(self, event_key: str | None = None) -> list[Emission]:
        """The ``EmitEvent`` calls the engine accepted (of `event_key` only, when given)."""
        return [
            e
            for e in self.emissions
            if e.error is None and (event_key is None or e.event_key == event_key)
        ]

    def listen_events(self, service_id: str, event_filter: str = "") -> Stream[EventData]:
        """``ListenEvent``: a stream of the events the service emits from now on, of the key
        `event_filter` (empty or ``*``: every event; an undeclared key is refused)."""
        service = self._service(service_id)
        definition = service.definition
        if event_filter not in ALL and event_filter not in definition.events:
            raise EngineError(_messages.event_not_found(event_filter, definition.name))

        def forget(subscription: Stream[EventData]) -> None:
            service.event_listeners[:] = [
                pair for pair in service.event_listeners if pair[0] is not subscription
            ]
            self._notify()

        subscription: Stream[EventData] = Stream(handover=False, on_close=forget)
        service.event_listeners.append((subscription, event_filter))
        self._notify()
        return subscription

    def event_listeners(self, token: str | None = None) -> int:
        """How many ``ListenEvent`` streams the service has open."""
        return len(self._service(token or self.token).event_listeners)

    def end_streams(self) -> None:
        """End every open stream, as an engine that shuts down does."""
        for service in self._services.values():
            for listener in list(service.task_listeners):
                listener.end()
            for result_listener, _ in list(service.result_listeners):
                result_listener.end()
            for event_listener, _ in list(service.event_listeners):
                event_listener.end()

    # Faults ----------------------------------------------------------------------------------

    def refuse_next(self, *texts: str) -> None:
        """Refuse the next ``SubmitResult`` calls, one text each, whatever they carry; the
        executions stay in progress."""
        self._refusals.extend(texts)

    def freeze(self) -> None:
        """Stop handing executions over and answering results and events (calls wait) until
        `thaw`."""
        self._thawed.clear()

    def thaw(self) -> None:
        self._thawed.set()

    async def thawed(self) -> None:
        """Return once the engine is not frozen (`held` counts the calls waiting here)."""
        if self._thawed.is_set():
            return
        self.held += 1
        self._notify()
        try:
            await self._thawed.wait()
        finally:
            self.held -= 1

    # For tests and demos --------------------------------------------------------------------

    def refused(self) -> list[Submission]:
        """The ``SubmitResult`` calls the engine refused."""
        return [s for s in self.submissions if s.error is not None]

    async def wait_until(self, condition: Callable[[], bool]) -> None:
        """Return once `condition()` holds, checked after every change (bound it with
        ``asyncio.timeout``)."""
        while not condition():
            await self._changed.wait()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()


def _decoded(text: str) -> dict[str, Any]:
    """A JSON object the way the engine reads one, or its refusal."""
    try:
        return _messages.decode_object(text)
    except _messages.GoJsonError as error:
        raise EngineError(str(error)) from None
