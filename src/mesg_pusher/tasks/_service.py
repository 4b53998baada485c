"""The life of one execution, top to bottom: received, validated, executed, answered.

`TaskRunner.execute` takes a task key and the inputs' JSON text and returns exactly one `Output`,
``success`` only once Pusher has answered 2xx. Every exception becomes the ``error`` output here,
at this one boundary, with any app secret or proxy password scrubbed from its message.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from .._errors import InputError, InputsInvalid, MesgPusherError
from .._json import dumps, loads
from .._secrets import free_of, scrub, scrub_body, secrets_of
from ..mesg import ServiceDefinition, load_packaged, validate
from ..pusher import Connection, HttpPool, HttpRequest, batch_request, interpret, trigger_request
from . import _inputs
from ._inputs import Limits

log = logging.getLogger("mesg_pusher.tasks")

SUCCESS: Final = "success"
ERROR: Final = "error"
SENT: Final = "sent"


@dataclass(frozen=True, slots=True)
class Output:
    """A task's answer: the output key and its data, as mesg.yml declares them."""

    key: str
    data: Mapping[str, Any]

    @classmethod
    def success(cls, message: str = SENT) -> Output:
        return cls(SUCCESS, {"message": message})

    @classmethod
    def error(cls, message: str) -> Output:
        return cls(ERROR, {"error": message})

    def json(self) -> str:
        return dumps(self.data)


#: A task: the runner, the valid inputs, and their secrets (to scrub from what a server says).
Handler = Callable[["TaskRunner", Mapping[str, Any], list[str]], Awaitable[Output]]


class TaskRunner:
    """Runs executions of the service's tasks. `clock` gives Unix seconds for signatures."""

    def __init__(
        self,
        http: HttpPool,
        *,
        definition: ServiceDefinition | None = None,
        limits: Limits = Limits(),  # noqa: B008 - frozen value
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.http = http
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
                    f"Task '{task_key}' not found in service '{self.definition.name}' "
                    f"(its tasks: {known})",
                )
            problems = validate(task.inputs, inputs)
            if problems:
                raise InputsInvalid(task_key, problems)
            free_of(secrets, inputs)
            return await handler(self, inputs, secrets)
        except MesgPusherError as error:
            return Output.error(scrub(str(error), secrets))
        except Exception as error:  # a defect: answer anyway, and leave a trace for us
            # Only the kind and the place: an exception's text can quote an input, a secret too.
            log.error(
                "task %s failed unexpectedly: %s at %s",
                task_key,
                type(error).__name__,
                _origin(error),
            )
            return Output.error(f"internal error in task {task_key}: {type(error).__name__}")

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
        status, body = await self.http.send(connection, request)
        if secrets and status >= 300:
            # Before the message is cut or reflowed, so no part of a secret survives.
            body = scrub_body(body, secrets)
        interpret(status, body, connection.via)
        return Output.success()


def _origin(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "an unknown place"
    last = frames[-1]
    return f"{Path(last.filename).name}:{last.lineno} in {last.name}"


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
