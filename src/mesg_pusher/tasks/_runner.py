"""The life of one execution, top to bottom: received, validated, completed from the
environment, executed, answered.

`TaskRunner.execute` takes a task key and the inputs' JSON text and returns exactly one `Output`,
checked against mesg.yml; a task that calls Pusher answers ``success`` only once Pusher has
answered 2xx. Every exception becomes the ``error`` output here, at this one boundary, with the
execution's secrets and the environment's scrubbed from its message.

The service's environment (``PUSHER_*``) is read once, when the runner is made: an input in the
execution wins, then its variable, then ``PUSHER_URL``. A variable that breaks its input's rule
is reported once in the log and as the error output of every execution, naming the variable.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

from .._errors import InputError, InputsInvalid, MesgPusherError, PusherError
from .._json import loads
from .._secrets import MIN_SCRUBBED, free_of, scrub, scrub_body, secrets_of, shown_in
from ..mesg import ServiceDefinition, load_packaged, validate, words
from ..pusher import EnvironmentDefaults, Transport, interpret, limits
from . import _inputs
from ._catalog import TASKS
from ._inputs import INPUTS, Limits, in_input_words, require_inputs
from ._outputs import SUCCESS, Output, checked, defect
from ._task import ApiTask, Context, Task

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

    `environ` is the service's environment, read here once for the defaults of the connection
    inputs (None: no defaults). `clock` gives Unix seconds for signatures and `nonce` the
    randomness of encryption, so tests may pass their own; `tasks` are the tasks it knows.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        definition: ServiceDefinition | None = None,
        limits: Limits = Limits(),  # noqa: B008 - frozen value
        clock: Callable[[], float] = time.time,
        environ: Mapping[str, str] | None = None,
        nonce: Callable[[], bytes] = random_nonce,
        tasks: Mapping[str, Task] = TASKS,
    ) -> None:
        self.transport = transport
        self.definition = definition if definition is not None else load_packaged()
        self.limits = limits
        self.clock = clock
        self.nonce = nonce
        self.tasks = tasks
        self.defaults = EnvironmentDefaults()
        self.environment_error: InputError | None = None
        try:
            self.defaults = EnvironmentDefaults.from_environment(environ or {})
        except InputError as error:
            self.environment_error = error
            log.error(
                "the service's environment is invalid, every execution is answered with the "
                "error: %s",
                error,
            )
        #: The secrets the environment gives (the app secret, the proxy password, the master
        #: key): hidden from every execution's messages, and refused inside its inputs.
        self.environment_secrets: tuple[str, ...] = tuple(
            dict.fromkeys(
                secrets_of(_as_inputs(self.defaults.variables))
                + secrets_of(_as_inputs(self.defaults.url))
            )
        )

    def secrets_of(self, inputs: Mapping[str, Any]) -> list[str]:
        """The secrets an execution with `inputs` carries, the environment's included: what
        any text about it must not show."""
        found = secrets_of(inputs)
        if not self.environment_secrets:
            return found
        return list(dict.fromkeys([*found, *self.environment_secrets]))

    async def execute(self, task_key: str, input_data: str | Mapping[str, Any]) -> Output:
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
            inputs = self.defaults.apply(inputs, INPUTS)
            require_inputs(inputs, task.needs)
            output = await self._run(task, inputs, secrets)
        except InputError as error:
            return Output.error(scrub(str(in_input_words(error)), secrets))
        except MesgPusherError as error:
            return Output.error(scrub(str(error), secrets))
        except Exception as error:  # a defect: answer anyway, and leave a trace for us
            return defect(task_key, error)
        return checked(self.definition, task_key, output)

    async def _run(self, task: Task, inputs: Mapping[str, Any], secrets: list[str]) -> Output:
        context = Context(self.limits, int(self.clock()), self.nonce)
        if not isinstance(task, ApiTask):
            data = task.answer(inputs, context)
            for name in task.shows:
                shown = data.get(name)
                if isinstance(shown, str) and shown_in(shown, secrets):
                    # The whole secret was refused already; this is a run of it, or encoded.
                    raise InputError(name, _INPUT_SHOWS_ONE)
            return Output(SUCCESS, data)
        app = _inputs.app(inputs)
        connection = _inputs.connection(inputs)
        call = task.call(app, inputs, context)
        status, body = await self.transport.send(connection, call.request)
        if secrets and len(body) >= MIN_SCRUBBED:  # shorter, it holds no run of one (`{}`)
            # Before the message is cut or reflowed, so no part of a secret survives.
            scrubbed = scrub_body(body, secrets)
            if scrubbed != body:
                interpret(status, scrubbed, connection.via)  # an error is reported as such
                raise PusherError(_ANSWER_REPEATS_ONE)
        data = call.answer(interpret(status, body, connection.via))
        if data.keys() != {"message"} and shown_in(data, secrets):
            # What the answer holds is passed on parsed: its escapes are read once more.
            raise PusherError(_ANSWER_REPEATS_ONE)
        return Output(SUCCESS, data)


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


def _as_inputs(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The environment's settings under the inputs' names (where the secrets are looked for)."""
    return {INPUTS.get(name, name): value for name, value in settings.items()}
