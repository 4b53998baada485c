"""The life of one execution, top to bottom: received, validated, completed from the
environment, executed, answered.

`TaskRunner.execute` takes a task key and the inputs' JSON text and returns exactly one
`TaskOutput`, checked against mesg.yml; a task that calls Pusher answers ``success`` only once
Pusher has answered 2xx. Every exception becomes the ``error`` output here, at this one boundary,
with the execution's secrets and the environment's scrubbed from its message.

The service's environment (``PUSHER_*``, read once: `ServiceEnvironment`) gives the inputs'
defaults: an input in the execution wins, then its variable, then ``PUSHER_URL``. A variable
that breaks its input's rule is reported once in the log, when the runner is made, and as the
error output of every execution, naming the variable.

Log lines (logger ``mesg_pusher.tasks``): each request sent to Pusher, where it is sent through
the `Transport`, at ``debug`` (task, method, path, status, duration; never the query, whose
``auth_signature`` is there, never a secret); a 401 or 403, Pusher refusing the app's
credentials or their use, at ``warning``. A configuration failure is a warning too: the
environment broken (once, when the runner is made), and an execution answered for want of a
connection input that the environment could have given.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

from .._errors import InputError, InputsInvalid, MesgPusherError, PusherError
from .._json import loads
from .._secret_search import MIN_SCRUBBED
from .._secrets import scrub, scrub_body, shown_in
from .._text import cut
from ..mesg import ServiceDefinition, load_packaged, validate, words
from ..pusher import HttpRequest, Transport, interpret, limits, require_inputs
from . import _inputs
from ._catalog import TASKS
from ._environment import ServiceEnvironment
from ._inputs import Limits
from ._outputs import SUCCESS, TaskOutput, checked, defect
from ._secret_inputs import SAME_AS_KEY, free_of, secret_is_key, secrets_of
from ._task import ApiTask, Context, Implementation, SignedMembers

log = logging.getLogger("mesg_pusher.tasks")
#: Pusher's answers that say the app's credentials are wrong (401) or may not do this (403):
#: an operator has something to fix, so their request's line is a warning.
REFUSED_CREDENTIALS: Final = frozenset({401, 403})
#: Characters of a request's path shown in its log line at most.
PATH_CHARS: Final = 300

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
    signatures and `nonce` the randomness of encryption, so tests may pass their own; `tasks`
    are the tasks it knows; `members` is where the presence members it signs are noted.
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
        members: SignedMembers | None = None,
    ) -> None:
        self.transport = transport
        self.definition = definition if definition is not None else load_packaged()
        self.limits = limits
        self.clock = clock
        self.nonce = nonce
        self.tasks = tasks
        self.members = members
        self.defaults = environment.defaults
        self.environment_error = environment.error
        self.environment_secrets = environment.secrets
        if self.environment_error is not None:
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

    async def execute(self, task_key: str, input_data: str | Mapping[str, Any]) -> TaskOutput:
        """Exactly one output for one execution; never raises (cancellation aside)."""
        secrets: list[str] = list(self.environment_secrets)
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
            inputs = self.defaults.apply(inputs)
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
            output = await self._run(task, inputs, secrets)
        except MesgPusherError as error:
            return TaskOutput.error(scrub(str(error), secrets))
        except Exception as error:  # a defect: answer anyway, and leave a trace for us
            return defect(task_key, error)
        return checked(self.definition, task_key, output)

    async def _run(
        self, task: Implementation, inputs: Mapping[str, Any], secrets: list[str]
    ) -> TaskOutput:
        context = Context(self.limits, int(self.clock()), self.nonce, self.members)
        if not isinstance(task, ApiTask):
            data = task.success_data(inputs, context)
            for name in task.shows:
                shown = data.get(name)
                if isinstance(shown, str) and shown_in(shown, secrets):
                    # The whole secret was refused already; this is a run of it, or encoded.
                    raise InputError(name, _INPUT_SHOWS_ONE)
            return TaskOutput(SUCCESS, data)
        app = _inputs.app(inputs)
        connection = _inputs.connection(inputs)
        call = task.call(app, inputs, context)
        started = time.perf_counter()
        try:
            status, body = await self.transport.send(connection, call.request)
        except PusherError as error:  # not sent, or no answer: the error output says which
            _request_line(task.key, call.request, started, secrets, failure=error)
            raise
        _request_line(task.key, call.request, started, secrets, status=status)
        if secrets and len(body) >= MIN_SCRUBBED:  # shorter, it holds no run of one (`{}`)
            # Before the message is cut or reflowed, so no part of a secret survives.
            scrubbed = scrub_body(body, secrets)
            if scrubbed != body:
                interpret(status, scrubbed, connection.via)  # an error is reported as such
                raise PusherError(_ANSWER_REPEATS_ONE)
        data = call.success_data(interpret(status, body, connection.via))
        if data.keys() != {"message"} and shown_in(data, secrets):
            # What the answer holds is passed on parsed: its escapes are read once more.
            raise PusherError(_ANSWER_REPEATS_ONE)
        return TaskOutput(SUCCESS, data)


def _request_line(
    task: str,
    request: HttpRequest,
    started: float,
    secrets: list[str],
    *,
    status: int | None = None,
    failure: Exception | None = None,
) -> None:
    """The line of one request sent to Pusher: a warning when Pusher refused the credentials,
    else a debug line. Its path is shown, never its query (the signature is there)."""
    level = logging.WARNING if status in REFUSED_CREDENTIALS else logging.DEBUG
    if not log.isEnabledFor(level):
        return
    path = scrub(request.path, secrets) if secrets else request.path
    fields: dict[str, Any] = {"task": task, "method": request.method, "path": cut(path, PATH_CHARS)}
    if status is not None:
        fields["status"] = status
    if failure is not None:
        fields["failure"] = type(failure).__name__
    fields["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
    message = "Pusher refused the request" if level == logging.WARNING else "Pusher request"
    log.log(level, message, extra={"fields": fields})


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
