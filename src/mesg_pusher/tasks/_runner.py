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
from ..mesg import ServiceDefinition, load_packaged, validate, words
from ..pusher import Transport, interpret, limits
from . import _inputs
from ._catalog import TASKS
from ._environment import ServiceEnvironment
from ._inputs import INPUTS, Limits, in_input_words, require_inputs
from ._outputs import SUCCESS, TaskOutput, checked, defect
from ._secret_inputs import SAME_AS_KEY, free_of, secret_is_key, secrets_of
from ._task import ApiTask, Context, Implementation

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
    signatures and `nonce` the randomness of encryption, so tests may pass their own; `tasks`
    are the tasks it knows.
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
    ) -> None:
        self.transport = transport
        self.definition = definition if definition is not None else load_packaged()
        self.limits = limits
        self.clock = clock
        self.nonce = nonce
        self.tasks = tasks
        self.defaults = environment.defaults
        self.environment_error = environment.error
        self.environment_secrets = environment.secrets
        if self.environment_error is not None:
            log.error(
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
            inputs = self.defaults.apply(inputs, INPUTS)
            if secret_is_key(inputs):
                raise InputError("secret", f"{SAME_AS_KEY}; nothing was sent")
            require_inputs(inputs, task.needs)
            output = await self._run(task, inputs, secrets)
        except InputError as error:
            return TaskOutput.error(scrub(str(in_input_words(error)), secrets))
        except MesgPusherError as error:
            return TaskOutput.error(scrub(str(error), secrets))
        except Exception as error:  # a defect: answer anyway, and leave a trace for us
            return defect(task_key, error)
        return checked(self.definition, task_key, output)

    async def _run(
        self, task: Implementation, inputs: Mapping[str, Any], secrets: list[str]
    ) -> TaskOutput:
        context = Context(self.limits, int(self.clock()), self.nonce)
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
        status, body = await self.transport.send(connection, call.request)
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
