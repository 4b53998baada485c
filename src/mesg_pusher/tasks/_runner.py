"""The life of one execution, top to bottom: received, validated, completed from the
environment, executed, answered.

`TaskRunner.execute` takes a task key and the inputs' JSON text and returns exactly one
`TaskOutput`, checked against mesg.yml; a task that calls Pusher answers ``success`` only once
Pusher has answered 2xx to each of its calls (several when the execution was split), a failed
call tried again where that is safe (`_sending`). Every exception becomes the ``error`` output
here, at this one boundary: its kind and whether a retry is safe (`_failures.classify`), what a
split execution published before it failed, its message with the execution's secrets and the
environment's scrubbed.

The service's environment (``PUSHER_*``, read once: `ServiceEnvironment`) gives the inputs'
defaults: an input in the execution wins, then its variable, then ``PUSHER_URL``. A variable
that breaks its input's rule is reported once in the log, when the runner is made, and as the
error output of every execution, naming the variable.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from .._errors import InputError, InputsInvalid, MesgPusherError, PusherError
from .._json import loads
from .._secret_search import MIN_SCRUBBED
from .._secrets import scrub, scrub_body, shown_in
from ..mesg import ServiceDefinition, load_packaged, validate, words
from ..pusher import Connection, HttpRequest, Transport, interpret, limits
from . import _inputs
from ._catalog import TASKS
from ._environment import ServiceEnvironment
from ._failures import Kind, Retry, classify
from ._inputs import IDEMPOTENCY_KEY, INPUTS, Limits, in_input_words, require_inputs
from ._outputs import SUCCESS, TaskOutput, checked, defect
from ._retries import retry_plan
from ._secret_inputs import SAME_AS_KEY, free_of, secret_is_key, secrets_of
from ._sending import Progress, Sender
from ._task import ApiTask, Context, Implementation, SignedMembers, Split

log = logging.getLogger("mesg_pusher.tasks")

#: What an answer says when it repeats one of the execution's secrets.
_ANSWER_REPEATS_ONE: Final = (
    "Pusher's answer holds the app secret, the proxy password or the encryption master key; "
    "it is not passed on"
)


_INPUT_SHOWS_ONE: Final = (
    "holds 8 or more characters in a row of the app secret, the proxy password or the "
    "encryption master key (written out or encoded), which the answer would show; nothing was "
    "answered"
)


def random_nonce() -> bytes:
    """24 bytes from the operating system's randomness: one secretbox nonce."""
    return os.urandom(limits.NONCE_BYTES)


class TaskRunner:
    """Runs executions of the service's tasks, sending through `transport` (an `HttpPool` in
    the service, a `MockTransport` in tests).

    `environment` is the service's environment, read once (`ServiceEnvironment.read`): the
    defaults of the connection inputs and their secrets. `clock` gives Unix seconds for
    signatures, `nonce` the randomness of encryption, `timer` monotonic seconds for the
    timeout, `draw` the random numbers of the retries' jitter and `sleep` their waits, so tests
    may pass their own; `tasks` are the tasks it knows; `members` is where the presence members
    it signs are noted.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        definition: ServiceDefinition | None = None,
        limits: Limits = Limits(),  # noqa: B008 - frozen value
        clock: Callable[[], float] = time.time,
        environment: ServiceEnvironment = ServiceEnvironment(),  # noqa: B008 - frozen value
        nonce: Callable[[], bytes] = random_nonce,
        tasks: Mapping[str, Implementation] = TASKS,
        timer: Callable[[], float] = time.monotonic,
        draw: Callable[[], float] = random.random,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        members: SignedMembers | None = None,
    ) -> None:
        self.transport = transport
        self.sender = Sender(transport, clock=clock, timer=timer, draw=draw, sleep=sleep)
        self.definition = definition if definition is not None else load_packaged()
        self.limits = limits
        self.clock = clock
        self.nonce = nonce
        self.tasks = tasks
        self.members = members
        self.defaults = environment.defaults
        self.environment_error = environment.error
        self.environment_secrets = environment.secrets
        if self.environment_error is not None:  # a configuration failure: a warning
            log.warning(
                "the service's environment is invalid, every execution is answered with the "
                "error: %s",
                self.environment_error,
            )

    def secrets_of(self, inputs: Mapping[str, Any]) -> list[str]:
        """The secrets an execution with `inputs` carries, the environment's included: what
        any text about it must not show."""
        found = secrets_of(inputs)
        if not self.environment_secrets:
            return found
        return list(dict.fromkeys([*found, *self.environment_secrets]))

    def publishes(self, task_key: str) -> bool:
        """Whether an execution of `task_key` publishes: done twice, it publishes twice."""
        task = self.tasks.get(task_key)
        return isinstance(task, ApiTask) and task.publishes

    def idempotency_scope(
        self, task_key: str, inputs: str | Mapping[str, Any]
    ) -> tuple[str, str] | None:
        """The app id and the ``idempotencyKey`` an execution of `task_key` with `inputs` (JSON
        text or parsed) is remembered under, the app id as the environment's defaults complete
        it; None when the task takes no key, the execution gives none (or an empty one), or it
        names no app. Nothing else is checked: an execution that breaks a rule fails before
        anything is sent."""
        declared = self.definition.tasks.get(task_key)
        if declared is None or IDEMPOTENCY_KEY not in declared.inputs:
            return None
        try:
            parsed = _parse(inputs)
        except InputError:
            return None
        key = parsed.get(IDEMPOTENCY_KEY)
        if not isinstance(key, str) or not key:
            return None
        app_id = self.defaults.apply(parsed, INPUTS).get("appId")
        if not isinstance(app_id, str) or not app_id:
            return None
        return app_id, key

    async def execute(self, task_key: str, input_data: str | Mapping[str, Any]) -> TaskOutput:
        """Exactly one output for one execution; never raises (cancellation aside)."""
        secrets: list[str] = list(self.environment_secrets)
        progress: Progress | None = None
        try:
            inputs = _parse(input_data)
            secrets = self.secrets_of(inputs)
            declared = self.definition.tasks.get(task_key)
            task = self.tasks.get(task_key)
            if declared is None or task is None:
                known = ", ".join(sorted(self.tasks))
                raise InputError(
                    "taskKey",
                    words.TASK_NOT_FOUND.format(task=task_key, service=self.definition.name)
                    + f" (its tasks: {known})",
                )
            problems = validate(declared.inputs, inputs)
            if problems:
                raise InputsInvalid(task_key, problems)
            free_of(secrets, inputs)
            if self.environment_error is not None:
                raise InputError(
                    self.environment_error.input,
                    f"{self.environment_error.rule} (in the service's environment; nothing "
                    "was sent)",
                )
            inputs = self.defaults.apply(inputs, INPUTS)
            if secret_is_key(inputs):
                raise InputError("secret", f"{SAME_AS_KEY}; nothing was sent")
            try:
                require_inputs(inputs, task.needs)
            except InputError as error:  # a configuration failure: a warning
                log.warning(
                    "a connection input is missing: neither the execution nor the environment "
                    "gives it",
                    extra={"fields": {"task": task.key, "error": str(error)}},
                )
                raise
            if isinstance(task, ApiTask):
                progress = Progress()
                output = await self._call(task_key, task, inputs, secrets, progress)
            else:
                output = self._answer_here(task, inputs, secrets)
        except InputError as error:
            return TaskOutput.error(scrub(str(in_input_words(error)), secrets), classify(error))
        except MesgPusherError as error:
            return _failed(error, scrub(str(error), secrets), self.publishes(task_key), progress)
        except Exception as error:  # a defect: answer anyway, and leave a trace for us
            return defect(task_key, error)
        return checked(self.definition, task_key, output)

    def _context(self, limits: Limits) -> Context:
        return Context(limits, self.nonce, self.clock() * 1000, self.members)

    def _answer_here(
        self, task: Implementation, inputs: Mapping[str, Any], secrets: list[str]
    ) -> TaskOutput:
        """A task answered without a network call."""
        assert not isinstance(task, ApiTask)
        data = task.success_data(inputs, self._context(self.limits))
        for name in task.shows:
            shown = data.get(name)
            if isinstance(shown, str) and shown_in(shown, secrets):
                # The whole secret was refused already; this is a run of it, or encoded.
                raise InputError(name, _INPUT_SHOWS_ONE)
        return TaskOutput(SUCCESS, data)

    async def _call(
        self,
        task_key: str,
        task: ApiTask,
        inputs: Mapping[str, Any],
        secrets: list[str],
        progress: Progress,
    ) -> TaskOutput:
        """A task that calls Pusher: its calls sent, tried again where that is safe."""
        app = _inputs.app(inputs)
        connection = _inputs.connection(inputs)
        plan = retry_plan(
            _inputs.retries(inputs),
            keyed=self.idempotency_scope(task_key, inputs) is not None,
            publishes=task.publishes,
        )
        context = self._context(_inputs.execution_limits(inputs, self.limits))
        planned = task.call(app, inputs, context)
        calls = planned.calls if isinstance(planned, Split) else (planned,)
        progress.split = planned if isinstance(planned, Split) else None

        def read(status: int, body: bytes) -> Mapping[str, Any]:
            return _read(status, body, connection, secrets)

        results = await self.sender.send(
            calls, connection, plan, read, progress, task=task.key, secrets=secrets
        )
        data = planned.merge(results) if isinstance(planned, Split) else results[0]
        if data.keys() != {"message"} and shown_in(data, secrets):
            # What the answer holds is passed on parsed: its escapes are read once more.
            raise PusherError(_ANSWER_REPEATS_ONE)
        return TaskOutput(SUCCESS, data)


def _read(
    status: int, body: bytes, connection: Connection, secrets: list[str]
) -> Mapping[str, Any]:
    """Pusher's answer to one call, parsed; an error status, or an answer that repeats one of
    the execution's secrets, raised."""
    if secrets and len(body) >= MIN_SCRUBBED:  # shorter, it holds no run of one (`{}`)
        # Before the message is cut or reflowed, so no part of a secret survives.
        scrubbed = scrub_body(body, secrets)
        if scrubbed != body:
            interpret(status, scrubbed, connection.via)  # an error is reported as such
            raise PusherError(_ANSWER_REPEATS_ONE)
    return interpret(status, body, connection.via)


def _failed(
    error: MesgPusherError, message: str, publishes: bool, progress: Progress | None
) -> TaskOutput:
    """The ``error`` output for a failure other than an input's: its kind and retry, what a
    split execution published before it, and for a 413 the size of the data that was sent."""
    published = progress.published if progress is not None else 0
    maybe = progress is not None and progress.maybe_published
    failure = classify(error, publishes=publishes, published=published, maybe_published=maybe)
    if progress is None:
        return TaskOutput.error(message, failure)
    if progress.tries > 1:
        message += f" (after {progress.tries} tries)"
        if maybe and classify(error, publishes=publishes).retry is Retry.SAFE:
            message += "; an earlier try may have been published"
    split = progress.split
    shown_published = None
    if split is not None and len(split.calls) > 1:
        total = sum(call.items for call in split.calls)
        shown_published = published
        if published:
            message += (
                f"; {published} of the {total} {split.unit} were published (the first "
                f"{published}, in order) before this failure"
            )
        else:
            message += f"; none of the {total} {split.unit} was published before this failure"
    data_bytes = None
    if failure.kind is Kind.TOO_LARGE and progress.request is not None:
        data_bytes = largest_data_bytes(progress.request)
        if data_bytes is not None:
            message += f" (the largest event data sent was {data_bytes} bytes)"
    return TaskOutput.error(message, failure, published=shown_published, data_bytes=data_bytes)


def largest_data_bytes(request: HttpRequest) -> int | None:
    """The size in UTF-8 bytes of the largest event data in a publish request, as Pusher
    measures it (after encryption); None for a request that carries no event."""
    try:
        body = loads(request.body)
    except ValueError:
        return None
    events = body.get("batch") if isinstance(body, dict) else None
    if not isinstance(events, list):
        events = [body]
    sizes = [
        len(event["data"].encode("utf-8", "surrogatepass"))
        for event in events
        if isinstance(event, dict) and isinstance(event.get("data"), str)
    ]
    return max(sizes) if sizes else None


def _parse(input_data: str | Mapping[str, Any]) -> Mapping[str, Any]:
    if not isinstance(input_data, str):
        return input_data
    try:
        value = loads(input_data)
    except ValueError as error:
        raise InputError("inputData", f"not valid JSON ({error})") from None
    if not isinstance(value, dict):
        raise InputError("inputData", "the inputs are a JSON object")
    return value
