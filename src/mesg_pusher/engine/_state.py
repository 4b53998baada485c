"""The engine's bookkeeping, without the network, the same for every protocol generation:
services (and their instances and runners), executions in progress and answered, listeners of
executions and of events, the chain's blocks and the runners' tokens. Which rules apply is the
engine's `release`'s (`_rules`, the first generation's `mesg.validate` and `_messages`).

What it keeps from the real engines, because a service must cope with it:
- An execution's inputs are validated before it exists; the service receives them re-encoded
  the Go way (keys sorted, ``<>&`` escaped) where they travel as JSON text.
- First generation: executions are handed to every task listener of the service in turn, under
  one global lock, each hand-over waiting until the listener has taken it: a listener that stops
  reading stalls publishing for every service. Later generations published through an in-memory
  pubsub (to v0.16) or the chain's events (from v0.17) that waits for nobody.
- Nothing is replayed: an execution or event published while nobody listens is never delivered.
- One result per execution. A refused result leaves the execution in progress; from v0.12
  outputs that do not match the task fail the execution instead (the call succeeds).
- G4, G5: results and executions are transactions; they take effect, and their calls return,
  when the next block commits (`chain`, `_chain.Chain`). G5's runner tokens live in memory
  only: an engine restart forgets them.

Execution ids take the release's shape: G1 the v0.1-v0.3 join of the creation time, service
name, task key and inputs (`IdShape.JOINED`: spaces, quotes, every input and secret) or the
40-hex digest of v0.4 on; G2 a hex hash; from G3 a SHA-256 in base58.

It records what tests need to see: every result call and every event call (accepted or not) and
every answered execution. And it can misbehave as a faulty engine or network might: hand a
service raw first-generation ``TaskData`` the real engine would have refused (`deliver`), bytes
protobuf cannot decode (`deliver_raw`), an execution a second time (`redeliver`); refuse results
in any words (`refuse_next`, `gone_form`); freeze, neither handing executions over nor answering
results or events until thawed (`freeze`, `thaw`).
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
from dataclasses import dataclass
from typing import Any

from ..mesg import ServiceDefinition, b58encode, load_packaged, validate, words
from ..mesg.protocol import Release, release
from ..mesg.protocol.core_pb2 import EventData, ResultData
from ..mesg.protocol.service_pb2 import TaskData
from . import _g1_wire, _hashes, _messages, _rules, _services
from ._chain import Chain
from ._model import (
    ALL,
    CreatedExecution,
    EngineError,
    Event,
    EventCall,
    IdShape,
    Result,
    Snapshot,
    Stream,
    Submission,
)
from ._schema import ServiceSchema, schema_of
from ._services import ServiceRecord
from ._signing import Identity

log = logging.getLogger("mesg_pusher.engine")
#: The release the stand-in speaks when none is named: the first generation's v0.2.0 texts, with
#: the v0.4 ids and no ready header unless asked (what it has always done).
DEFAULT_RELEASE = release("v0.2.0")


@dataclass(slots=True)
class _Listener:
    stream: Stream[Any]
    wants: Callable[[Any], bool]
    kind: str  # "tasks", "results", "executions", "events"
    token: str


class Engine:
    """The engine's state. `add_service` registers a service definition (the first
    generation's form, or a `ServiceSchema`); ``Engine()`` starts with the packaged mesg.yml,
    whose token is `token`.

    `release`: the engine release whose rules and names it follows (default: the first
    generation's v0.2.0 texts). First generation only: `ready_header` sends ``status: ready`` on
    ``ListenTask`` (default: as the release does, from v0.7; off without a release); `ids` the
    execution ids' shape (default: as the release, v0.4's digests without one); `gone_form` the
    words refusing a result for an execution not in progress. `env`: the service's customised
    environment (G3+, part of its instance). `block_seconds`: the chain's block time (G4, G5;
    default: the release's). `identity`: the engine's key (G4, G5; default: a new one).
    """

    def __init__(
        self,
        definition: ServiceDefinition | ServiceSchema | None = None,
        *,
        release: Release | None = None,
        token: str | None = None,
        ready_header: bool | None = None,
        ids: IdShape | None = None,
        gone_form: words.EngineText = words.EXECUTION_GONE,
        keep_submissions: int = 1_000_000,
        env: Mapping[str, str] | None = None,
        block_seconds: float | None = None,
        identity: Identity | None = None,
    ) -> None:
        self.release = release if release is not None else DEFAULT_RELEASE
        self.ready_header = (
            ready_header
            if ready_header is not None
            else release is not None and release.ready_header
        )
        joined = release is not None and release.joined_ids
        self.ids = ids if ids is not None else (IdShape.JOINED if joined else IdShape.DIGEST)
        self.gone_form = gone_form
        self.chain = Chain(
            block_seconds if block_seconds is not None else self.release.block_seconds
        )
        self.identity = identity if identity is not None else Identity()
        self._last_created = 0
        self._refusals: deque[str] = deque()
        self._thawed = asyncio.Event()
        self.held = 0  # calls a frozen engine holds
        self._thawed.set()
        self._services: dict[str, ServiceRecord] = {}
        self._listeners: list[_Listener] = []
        self.in_progress: dict[str, CreatedExecution] = {}
        self.results: dict[str, Result] = {}
        self.submissions: deque[Submission] = deque(maxlen=keep_submissions)
        self.emissions: deque[EventCall] = deque(maxlen=keep_submissions)
        self.executions_created = 0
        self._created: dict[str, CreatedExecution] = {}
        self._publishing = asyncio.Lock()
        self._changed = asyncio.Event()
        self.token = self.add_service(definition or load_packaged(), token=token, env=env)

    # Services ------------------------------------------------------------------------------

    def add_service(
        self,
        definition: ServiceDefinition | ServiceSchema,
        *,
        token: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> str:
        """Register `definition` (with its customised `env`, G3+); the token applications name
        it by. G1 and G2 take `token` (default: a random one, G2 the service's hash)."""
        first = definition if isinstance(definition, ServiceDefinition) else None
        schema = definition if isinstance(definition, ServiceSchema) else schema_of(definition)
        if self.release.generation == 1 and first is None:
            raise ValueError("the first generation needs a definition in its own form")
        record = _services.named(
            self.release,
            first,
            schema,
            token=token,
            env=env or {},
            engine_key=self.identity.public,
            draw=lambda: secrets.token_hex(20),
        )
        self._services[record.token] = record
        return record.token

    def service(self, token: str | None = None) -> ServiceRecord:
        """The service applications name `token` (the first one by default), or the release's
        refusal of a token it does not know."""
        found = self._services.get(token if token is not None else self.token)
        if found is None:
            raise EngineError(_services.unknown(self.release, token or ""))
        return found

    def by_hash(self, kind: str, value: bytes) -> ServiceRecord | None:
        """The service whose `kind` hash (``"instance"``, ``"runner"``, ``"service"``) is
        `value`."""
        attribute = f"{kind}_hash"
        for record in self._services.values():
            if getattr(record, attribute) == value and value:
                return record
        return None

    def definition(self, token: str) -> ServiceDefinition:
        definition = self.service(token).definition
        if definition is None:
            raise EngineError(f"service {token} has no first-generation definition")
        return definition

    def environment(self, endpoint: str, token: str | None = None) -> dict[str, str]:
        """What the engine gives the service (its first one by default) when it starts it."""
        return _services.environment(
            self.release, self.service(token), endpoint, self.identity.sign
        )

    def task_listeners(self, token: str | None = None) -> int:
        """How many streams of executions to run the service has open."""
        return self._count("tasks", token)

    def result_listeners(self, token: str | None = None) -> int:
        """How many streams of the service's answered executions applications have open."""
        return self._count("results", token) + self._count("executions", token)

    def listening(self) -> int:
        """How many streams, of any kind and any service, are open."""
        return len(self._listeners)

    def event_listeners(self, token: str | None = None) -> int:
        """How many streams of the service's events applications have open."""
        return self._count("events", token)

    def _count(self, kind: str, token: str | None) -> int:
        wanted = self.service(token).token
        return sum(
            1 for listener in self._listeners if listener.kind == kind and listener.token == wanted
        )

    # Executions ----------------------------------------------------------------------------------

    async def execute(
        self,
        service_id: str,
        task_key: str,
        input_data: str | Mapping[str, Any],
        tags: Iterable[str] = (),
    ) -> str:
        """Validate the inputs, create the execution, hand it to the listeners; its id. The
        first generation's ``ExecuteTask`` (a text is read as Go reads it); from G2 the
        application side of the release, whichever its rpc."""
        service = self.service(service_id)
        # A mapping travels as an application would send it; the engine then reads it as Go.
        text = input_data if isinstance(input_data, str) else json.dumps(input_data)
        inputs = _decoded(text)
        if self.release.generation == 1:
            self.check_first_inputs(service, task_key, inputs)
            execution = await self._create(
                service, task_key, _messages.go_json(inputs), tuple(tags), inputs
            )
            return execution.id
        if self.release.generation >= 4:  # a transaction: created when the next block commits
            await self.chain.block()
        return (await self.create(service, task_key, inputs, tags)).id

    def check_first_inputs(
        self, service: ServiceRecord, task_key: str, inputs: Mapping[str, Any]
    ) -> None:
        definition = service.definition
        assert definition is not None  # every first-generation service has one
        task = definition.tasks.get(task_key)
        if task is None:
            raise EngineError(_messages.task_not_found(task_key, definition.name))
        problems = validate(task.inputs, inputs)
        if problems:
            raise EngineError(words.inputs_invalid(task_key, problems))

    async def create(
        self,
        service: ServiceRecord,
        task_key: str,
        inputs: Mapping[str, Any] | None,
        tags: Iterable[str] = (),
    ) -> CreatedExecution:
        """From G2: validate `inputs` by the release's rules (the refusal in its words), create
        the execution and publish it."""
        schema = service.schema
        task = schema.tasks.get(task_key)
        if task is None:
            raise EngineError(
                _rules.chain(
                    self.release, _rules.task_not_found(self.release, schema.name, task_key)
                )
            )
        found = _rules.problems(task.inputs, inputs, self.release)
        if found:
            text = _rules.inputs_invalid(self.release, schema.name, task_key, found)
            raise EngineError(_rules.chain(self.release, text))
        values = dict(inputs or {})
        return await self._create(service, task_key, _messages.go_json(values), tuple(tags), values)

    async def deliver(self, token: str, task_key: str, input_data: str) -> str:
        """Hand the service a first-generation ``TaskData`` with these raw fields, unvalidated
        (what a faulty or future engine might send); its execution id."""
        input_data.encode("utf-8")  # a text no TaskData can carry raises here, leaving nothing
        return (await self._create(self.service(token), task_key, input_data, (), None)).id

    async def deliver_raw(
        self, token: str, execution_id: bytes, task_key: bytes, input_data: bytes
    ) -> str | None:
        """Hand the service a first-generation ``TaskData`` whose fields are these bytes, UTF-8
        or not (protobuf cannot decode one that is not). When the id is UTF-8 the execution is
        in progress, so a result for it is taken; its id, or None."""
        service = self.service(token)
        try:
            text_id: str | None = execution_id.decode("utf-8")
        except UnicodeDecodeError:
            text_id = None
        if text_id is not None:
            execution = CreatedExecution(
                text_id,
                service.token,
                task_key.decode("utf-8", "replace"),
                input_data.decode("utf-8", "replace"),
                (),
                time.time(),
                self._count_created(),
            )
            self.in_progress[text_id] = execution
        raw = _messages.task_data_bytes(execution_id, task_key, input_data)
        await self._hand_over(service.token, raw)
        return text_id

    async def redeliver(self, execution_id: str) -> None:
        """Hand an execution to the listeners once more, as it was first (a duplicate)."""
        execution = self.in_progress.get(execution_id)
        if execution is None:
            if execution_id not in self.results:
                raise EngineError(self.gone_form.format(id=execution_id))
            execution = self._created[execution_id]
        await self._hand_over(execution.token, Snapshot(execution))

    async def _create(
        self,
        service: ServiceRecord,
        task_key: str,
        input_data: str,
        tags: tuple[str, ...],
        inputs: Mapping[str, Any] | None,
    ) -> CreatedExecution:
        created = self._created_ns()
        execution_id, digest = self._new_id(created, service, task_key, input_data, tags)
        execution = CreatedExecution(
            execution_id,
            service.token,
            task_key,
            input_data,
            tags,
            created / 1e9,
            self._count_created(),
            inputs,
            digest,
            service.instance_hash,
            service.runner_hash,
            self.chain.height(),
        )
        self.in_progress[execution.id] = execution
        self._created[execution.id] = execution
        listeners = await self._hand_over(service.token, Snapshot(execution))
        if log.isEnabledFor(logging.INFO):
            log.info(
                "execution %s of task %s created, handed to %d listeners",
                self._shown(execution.id),
                task_key,
                listeners,
            )
        return execution

    async def _hand_over(self, token: str, item: Snapshot | bytes) -> int:
        """Give `item` to each listener of new executions that wants it, in turn, under the
        global lock; how many."""
        async with self._publishing:  # the engine's global lock
            await self._thawed.wait()
            listeners = [
                listener
                for listener in self._listeners
                if (
                    listener.kind in ("tasks", "executions")
                    and isinstance(item, Snapshot)
                    and listener.wants(item)
                )
                or (
                    listener.kind == "tasks" and isinstance(item, bytes) and listener.token == token
                )
            ]
            for listener in listeners:
                await listener.stream.offer(item)
        self._notify()
        return len(listeners)

    def _count_created(self) -> int:
        self.executions_created += 1
        return self.executions_created

    def _created_ns(self) -> int:
        """Now in nanoseconds, later than any id made before (ids of one task and inputs differ
        by their time alone)."""
        self._last_created = max(time.time_ns(), self._last_created + 1)
        return self._last_created

    def _new_id(
        self,
        created_ns: int,
        service: ServiceRecord,
        task_key: str,
        input_data: str,
        tags: tuple[str, ...],
    ) -> tuple[str, bytes]:
        """The execution's id, and its hash from G3 on."""
        joined = words.JOINED_ID.format(
            created=_messages.go_time(created_ns),
            service=service.name,
            task=task_key,
            inputs=input_data,
        )
        generation = self.release.generation
        if generation == 1 and self.ids is IdShape.JOINED:
            return joined, b""
        if generation <= 2:
            return hashlib.sha1(joined.encode("utf-8", "surrogatepass")).hexdigest(), b""  # noqa: S324
        digest = _hashes.digest(b"execution", service.token, joined, *tags)
        return b58encode(digest), digest

    def _shown(self, execution_id: str) -> str:
        """How the stand-in's log names an execution: a joined id holds the inputs, secrets
        included, so it is named by its number."""
        if self.ids is not IdShape.JOINED or self.release.generation > 1:
            return execution_id
        if words.DIGEST_ID.fullmatch(execution_id):
            return execution_id
        execution = self._created.get(execution_id) or self.in_progress.get(execution_id)
        return f"#{execution.number}" if execution is not None else "(not one of ours)"

    def snapshot(self, execution_id: str) -> Snapshot | None:
        """An execution as it stands now, or None when the engine never made it."""
        execution = self._created.get(execution_id) or self.in_progress.get(execution_id)
        if execution is None:
            return None
        return Snapshot(execution, self.results.get(execution_id))

    def subscribe(
        self,
        kind: str,
        token: str,
        wants: Callable[[Any], bool],
        translate: Callable[[Any], Any] | None = None,
        *,
        handover: bool = False,
    ) -> Stream[Any]:
        """A listener's stream: ``"tasks"`` (executions a service runs) and ``"executions"``
        (an application's) get each `Snapshot` it `wants` when created (in progress), and
        ``"executions"`` and ``"results"`` when answered; ``"events"`` gets each `Event` it
        wants. `token` is the service it counts for."""

        def forget(subscription: Stream[Any]) -> None:
            self._listeners[:] = [x for x in self._listeners if x.stream is not subscription]
            self._notify()

        stream: Stream[Any] = Stream(handover=handover, on_close=forget, translate=translate)
        self._listeners.append(_Listener(stream, wants, kind, token))
        self._notify()
        return stream

    # First generation: api.Service and api.Core as messages --------------------------------------

    def listen_tasks(self, token: str) -> Stream[TaskData | bytes]:
        """``ListenTask``: the service's stream of executions from now on (raw bytes only
        from `deliver_raw`)."""
        service = self.service(token)
        return self.subscribe(
            "tasks",
            service.token,
            lambda item: item.execution.token == service.token and item.result is None,
            _g1_wire.task_data,
            handover=True,
        )

    def listen_results(
        self,
        service_id: str,
        task_filter: str = "",
        output_filter: str = "",
        tag_filters: Iterable[str] = (),
    ) -> Stream[ResultData]:
        """``ListenResult``: a stream of the service's results that pass the filters."""
        service = self.service(service_id)
        definition = service.definition
        assert definition is not None
        if task_filter not in ALL:
            task = definition.tasks.get(task_filter)
            if task is None:
                raise EngineError(_messages.task_not_found(task_filter, definition.name))
            if output_filter not in ALL and output_filter not in task.outputs:
                raise EngineError(
                    _messages.output_not_found(output_filter, task_filter, definition.name)
                )
        tags = frozenset(tag_filters)

        def wants(item: Snapshot) -> bool:
            result = item.result
            return (
                result is not None
                and result.service_id == service.token
                and (task_filter in ALL or task_filter == result.task_key)
                and (output_filter in ALL or output_filter == result.output_key)
                and tags.issubset(result.tags)
            )

        return self.subscribe("results", service.token, wants, _g1_wire.result_data)

    def listen_events(self, service_id: str, event_filter: str = "") -> Stream[EventData]:
        """``ListenEvent``: a stream of the events the service emits from now on, of the key
        `event_filter` (empty or ``*``: every event; an undeclared key is refused)."""
        service = self.service(service_id)
        if event_filter not in ALL and event_filter not in service.schema.events:
            raise EngineError(self.event_unknown(service, event_filter))
        return self.subscribe(
            "events",
            service.token,
            lambda event: event.token == service.token and event_filter in (*ALL, event.key),
            _g1_wire.event_data,
        )

    def event_unknown(self, service: ServiceRecord, event_key: str) -> str:
        if self.release.generation == 1:
            return _messages.event_not_found(event_key, service.name)
        return _rules.event_not_found(self.release, service.name, event_key)

    def submit_result(self, execution_id: str, output_key: str, output_data: str) -> Result:
        """The first generation's ``SubmitResult``: accept the execution's one result, or
        refuse it."""
        try:
            result = self._accept(execution_id, output_key, output_data)
        except EngineError as error:
            self._refused(Submission(execution_id, output_key, output_data, str(error)))
            raise
        if log.isEnabledFor(logging.INFO):
            log.info(
                "execution %s answered with %s %s",
                self._shown(execution_id),
                result.output_key,
                result.output_data,
            )
        self.submissions.append(Submission(execution_id, output_key, output_data, None))
        self._publish_result(result)
        return result

    def _refused(self, submission: Submission) -> None:
        self.submissions.append(submission)
        shown = self._shown(submission.execution_id)
        error = submission.error or ""
        log.info(
            "result for execution %s refused: %s",
            shown,
            error.replace(submission.execution_id, shown) if submission.execution_id else error,
        )
        self._notify()

    def _publish_result(self, result: Result) -> None:
        snapshot = Snapshot(self._created.get(result.execution_id) or _bare(result), result)
        for listener in list(self._listeners):
            if listener.kind in ("results", "executions") and listener.wants(snapshot):
                listener.stream.offer_nowait(snapshot)
        self._notify()

    def _accept(self, execution_id: str, output_key: str, output_data: str) -> Result:
        if self._refusals:
            raise EngineError(self._refusals.popleft())
        execution = self.in_progress.get(execution_id)
        if execution is None:
            raise EngineError(self.gone_form.format(id=execution_id))
        data = _decoded(output_data)
        definition = self._services[execution.token].definition
        assert definition is not None
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
            raise EngineError(words.outputs_invalid(output_key, execution.task_key, problems))
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
        """The first generation's ``EmitEvent``: accept the event and publish it to the
        listeners of this moment, or refuse it. Checked in the engine's order: the token, the
        JSON, the key, the data."""
        try:
            service = self.service(token)
            data = _decoded(event_data)
            definition = service.definition
            assert definition is not None
            event = definition.events.get(event_key)
            if event is None:
                raise EngineError(_messages.event_not_found(event_key, definition.name))
            problems = validate(event.data, data)
            if problems:
                raise EngineError(words.event_data_invalid(event_key, problems))
        except EngineError as error:
            self._event_refused(EventCall(token, event_key, event_data, str(error)))
            raise
        self.emissions.append(EventCall(token, event_key, event_data, None))
        self._publish_event(Event(service.token, event_key, data, _messages.go_json(data)))

    def _event_refused(self, emission: EventCall) -> None:
        self.emissions.append(emission)
        log.info("event %s refused: %s", emission.event_key, emission.error)
        self._notify()

    def _publish_event(self, event: Event) -> None:
        listeners = 0
        for listener in list(self._listeners):
            if listener.kind == "events" and listener.wants(event):
                listener.stream.offer_nowait(event)
                listeners += 1
        if log.isEnabledFor(logging.INFO):
            log.info("event %s emitted, published to %d listeners", event.key, listeners)
        self._notify()

    def emitted(self, event_key: str | None = None) -> list[EventCall]:
        """The event calls the engine accepted (of `event_key` only, when given)."""
        return [
            e
            for e in self.emissions
            if e.error is None and (event_key is None or e.event_key == event_key)
        ]

    # From the second generation: results and events by the release's rules -----------------

    def finish(
        self,
        execution_id: str,
        *,
        outputs: Mapping[str, Any] | None = None,
        outputs_text: str | None = None,
        error: str | None = None,
    ) -> Result | None:
        """An execution's one result from G2 on: `outputs` (or, where they travel as JSON text,
        `outputs_text`) or `error`; neither is the release's refusal, or (None) taken and
        ignored as v0.10 did. Checked in the engine's order: the execution, then the outputs
        (text, then values), then its status. Outputs that do not match the task fail the call
        (to v0.11) or the execution (from v0.12). A refusal raises with the release's text and
        leaves the execution as it was."""
        shown = (
            outputs_text
            if outputs_text is not None
            else _messages.go_json(outputs)
            if outputs is not None
            else ""
        )
        try:
            result = self._finish(execution_id, outputs, outputs_text, error)
        except EngineError as problem:
            self._refused(Submission(execution_id, "", shown, str(problem), error))
            raise
        if result is None:
            return None
        self.submissions.append(Submission(execution_id, "", shown, None, error))
        if log.isEnabledFor(logging.INFO):
            told = (
                f"error {result.error}"
                if result.error is not None
                else f"outputs {result.output_data}"
            )
            log.info("execution %s answered with %s", execution_id, told)
        self._publish_result(result)
        return result

    def _finish(
        self,
        execution_id: str,
        outputs: Mapping[str, Any] | None,
        outputs_text: str | None,
        error: str | None,
    ) -> Result | None:
        if self._refusals:
            raise EngineError(self._refusals.popleft())
        empty = outputs is None and outputs_text is None and error is None
        if empty and self.release.generation <= 3:  # the server's check, before any lookup
            refusal = _rules.no_result(self.release)
            if refusal is None:
                return None
            raise EngineError(refusal)
        execution = self.in_progress.get(execution_id) or self._created.get(execution_id)
        if execution is None:
            raise EngineError(_rules.unknown_execution(self.release, execution_id))
        answered = self.results.get(execution_id)
        if empty:
            raise EngineError(_rules.no_result(self.release) or "")
        if error is None:
            if outputs_text is not None:
                try:
                    outputs = _messages.decode_object(outputs_text)
                except _messages.GoJsonError as problem:
                    raise EngineError(words.INVALID_OUTPUT.format(reason=str(problem))) from None
            schema = self._services[execution.token].schema
            task = schema.tasks.get(execution.task_key)
            if task is None:  # only reachable through `deliver`
                error = _rules.task_not_found(self.release, schema.name, execution.task_key)
            else:
                found = _rules.problems(task.outputs, outputs, self.release)
                if found:
                    error = _rules.outputs_invalid(
                        self.release, schema.name, execution.task_key, found
                    )
            if error is not None and self.release.invalid_outputs_fail_call:
                raise EngineError(error)
        if answered is not None or execution_id not in self.in_progress:
            raise EngineError(
                _rules.status_error(
                    self.release, answered is not None and answered.error is not None
                )
            )
        data = dict(outputs or {}) if error is None else {}
        del self.in_progress[execution_id]
        result = Result(
            execution.token,
            execution_id,
            execution.task_key,
            "",
            _messages.go_json(data) if error is None else "",
            data,
            execution.tags,
            error,
            self.chain.height(),
            time.time(),
        )
        self.results[execution_id] = result
        return result

    def emit(self, service: ServiceRecord, event_key: str, data: Mapping[str, Any] | None) -> Event:
        """An event from G2 on: the key and the data by the release's rules (the refusal in its
        words, unwrapped), then published to the listeners of this moment."""
        shown = _messages.go_json(data) if data is not None else "{}"
        params = service.schema.events.get(event_key)
        problem = None
        if params is None:
            problem = _rules.event_not_found(self.release, service.name, event_key)
        else:
            found = _rules.problems(params, data, self.release)
            if found:
                problem = _rules.event_data_invalid(self.release, service.name, event_key, found)
        if problem is not None:
            self._event_refused(EventCall(service.token, event_key, shown, problem))
            raise EngineError(problem)
        self.emissions.append(EventCall(service.token, event_key, shown, None))
        values = dict(data or {})
        event = Event(
            service.token,
            event_key,
            values,
            _messages.go_json(values),
            _hashes.digest(b"event", service.token, event_key, shown, str(time.time_ns())),
            service.instance_hash,
        )
        self._publish_event(event)
        return event

    # The chain (G4, G5) ------------------------------------------------------------------------

    def register(self, service_hash: bytes, env_hash: bytes) -> tuple[ServiceRecord, bool]:
        """G5: the runner of the instance of `service_hash` with `env_hash` (refused when the
        engine runs no such service), put on the chain; whether it was new there."""
        instance = _hashes.registered_instance_hash(service_hash, env_hash)
        record = self.by_hash("instance", instance)
        if record is None:
            runner = _hashes.runner_hash(self.identity.public, instance)
            refusal = words.RUNNER_NOT_FOUND.format(hash=words.go_quote(b58encode(runner)))
            raise EngineError(_rules.chain(self.release, refusal))
        return record, self.chain.put(record.token)

    # Shutting down, faults ---------------------------------------------------------------------

    def end_streams(self) -> None:
        """End every open stream, as an engine that shuts down does."""
        for listener in list(self._listeners):
            listener.stream.end()

    def refuse_next(self, *texts: str) -> None:
        """Refuse the next result calls, one text each, whatever they carry; the executions stay
        in progress."""
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
        """The result calls the engine refused."""
        return [s for s in self.submissions if s.error is not None]

    async def wait_until(self, condition: Callable[[], bool]) -> None:
        """Return once `condition()` holds, checked after every change (bound it with
        ``asyncio.timeout``)."""
        while not condition():
            await self._changed.wait()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()


def _bare(result: Result) -> CreatedExecution:
    """An execution known only by its result (one `deliver_raw` made)."""
    return CreatedExecution(
        result.execution_id, result.service_id, result.task_key, "", result.tags
    )


def _decoded(text: str) -> dict[str, Any]:
    """A JSON object the way the engine reads one, or its refusal."""
    try:
        return _messages.decode_object(text)
    except _messages.GoJsonError as error:
        raise EngineError(str(error)) from None
