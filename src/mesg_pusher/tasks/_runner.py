"""The life of one execution, top to bottom: received, validated, executed, answered.

`TaskRunner.execute` takes a task key and the inputs' JSON text and returns exactly one `Output`,
checked against mesg.yml, ``success`` only once Pusher has answered 2xx. Every exception becomes
the ``error`` output here, at this one boundary, with any app secret or proxy password scrubbed
from its message.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from .._errors import InputError, InputsInvalid, MesgPusherError
from .._json import loads
from .._secrets import free_of, scrub, scrub_body, secrets_of
from ..mesg import ServiceDefinition, load_packaged, validate, words
from ..pusher import (
    Connection,
    HttpRequest,
    Transport,
    batch_request,
    interpret,
    trigger_request,
)
from . import _inputs
from ._inputs import Limits
from ._outputs import Output, checked, defect

#: A task: the runner, the valid inputs, and their secrets (to scrub from what a server says).
Handler = Callable[["TaskRunner", Mapping[str, Any], list[str]], Awaitable[Output]]


class TaskRunner:
    """Runs executions of the service's tasks, sending through `transport` (an `HttpPool` in
    the service, a `MockTransport` in tests). `clock` gives Unix seconds for signatures."""

    def __init__(
        self,
        transport: Transport,
        *,
        definition: ServiceDefinition | None = None,
        limits: Limits = Limits(),  # noqa: B008 - frozen value
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.transport = transport
        self.definition = definition if definition is not None else load_packaged()
        self.limits = limits
        self.clock = clock
        self._handlers: dict[str, Handler] = {
            "trigger": TaskRunner._trigger,
            "triggerBatch": TaskRunner._trigger_batch,
        }

    async def execute(self, task_key: str, input_data: str | Mapping[str, Any]) -> Output:
        """Exactly one output for one execution; never raises (cancellation aside)."""
        secrets: list[str] = []
        try:
            inputs = _parse(input_data)
            secrets = secrets_of(inputs)
            task = self.definition.tasks.get(task_key)
            handler = self._handlers.get(task_key)
            if task is None or handler is None:
                known = ", ".join(sorted(self._handlers))
                raise InputError(
                    "taskKey",
                    words.TASK_NOT_FOUND.format(task=task_key, service=self.definition.name)
                    + f" (its tasks: {known})",
                )
            problems = validate(task.inputs, inputs)
            if problems:
                raise InputsInvalid(task_key, problems)
            free_of(secrets, inputs)
            output = await handler(self, inputs, secrets)
        except MesgPusherError as error:
            return Output.error(scrub(str(error), secrets))
        except Exception as error:  # a defect: answer anyway, and leave a trace for us
            return defect(task_key, error)
        return checked(self.definition, task_key, output)

    async def _trigger(self, inputs: Mapping[str, Any], secrets: list[str]) -> Output:
        app = _inputs.app(inputs)
        connection = _inputs.connection(inputs)
        event = _inputs.event(inputs, self.limits)
        request = trigger_request(app, event, timestamp=int(self.clock()))
        return await self._send(connection, request, secrets)

    async def _trigger_batch(self, inputs: Mapping[str, Any], secrets: list[str]) -> Output:
        app = _inputs.app(inputs)
        connection = _inputs.connection(inputs)
        events = _inputs.batch(inputs, self.limits)
        request = batch_request(
            app, events, timestamp=int(self.clock()), max_events=self.limits.max_batch_events
        )
        return await self._send(connection, request, secrets)

    async def _send(
        self, connection: Connection, request: HttpRequest, secrets: list[str]
    ) -> Output:
        status, body = await self.transport.send(connection, request)
        if secrets and status >= 300:
            # Before the message is cut or reflowed, so no part of a secret survives.
            body = scrub_body(body, secrets)
        interpret(status, body, connection.via)
        return Output.success()


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
