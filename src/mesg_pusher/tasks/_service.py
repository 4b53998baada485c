"""The life of one execution, top to bottom: received, validated, executed, answered.

`TaskRunner.execute` takes a task key and the inputs' JSON text and returns exactly one `Output`,
``success`` only once Pusher has answered 2xx. Every exception becomes the ``error`` output here,
at this one boundary, with any app secret or proxy password scrubbed from its message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from .._errors import InputError, InputsInvalid, MesgPusherError
from ..mesg._definition import ServiceDefinition, load_packaged, validate
from ..pusher import HttpPool, HttpRequest, batch_request, interpret, trigger_request
from ..pusher._json import dumps, loads
from ..pusher._settings import Connection
from . import _inputs
from ._inputs import Limits

log = logging.getLogger("mesg_pusher.tasks")

SUCCESS: Final = "success"
ERROR: Final = "error"
SENT: Final = "sent"
REDACTED: Final = "***"
MIN_SCRUBBED: Final = 4


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


Handler = Callable[["TaskRunner", Mapping[str, Any]], Awaitable[Output]]


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
        inputs: Mapping[str, Any] = {}
        try:
            inputs = _parse(input_data)
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
            return await handler(self, inputs)
        except MesgPusherError as error:
            return Output.error(scrub(str(error), inputs))
        except Exception as error:  # a defect: answer anyway, and leave a trace for us
            log.error("task %s failed unexpectedly: %s", task_key, scrub(repr(error), inputs))
            return Output.error(
                scrub(f"internal error in task {task_key}: {type(error).__name__}", inputs)
            )

    async def _trigger(self, inputs: Mapping[str, Any]) -> Output:
        app = _inputs.app(inputs)
        connection = _inputs.connection(inputs)
        event = _inputs.event(inputs, self.limits)
        request = trigger_request(app, event, timestamp=int(self.clock()))
        return await self._send(connection, request)

    async def _trigger_batch(self, inputs: Mapping[str, Any]) -> Output:
        app = _inputs.app(inputs)
        connection = _inputs.connection(inputs)
        events = _inputs.batch(inputs, self.limits)
        request = batch_request(
            app, events, timestamp=int(self.clock()), max_events=self.limits.max_batch_events
        )
        return await self._send(connection, request)

    async def _send(self, connection: Connection, request: HttpRequest) -> Output:
        status, body = await self.http.send(connection, request)
        interpret(status, body, _via(connection))
        return Output.success()


def _via(connection: Connection) -> str | None:
    proxy = connection.proxy
    return proxy.redacted if proxy is not None and connection.scheme == "http" else None


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


def secrets_of(inputs: Mapping[str, Any]) -> list[str]:
    """The values that must never be shown: the app secret and a proxy password.

    Messages are built without them; scrubbing is the safety net for text that echoes an input
    or a server's answer. Values shorter than `MIN_SCRUBBED` cannot be told from ordinary words.
    """
    found = []
    secret = inputs.get("secret")
    if isinstance(secret, str):
        found.append(secret)
    proxy = inputs.get("proxy")
    if isinstance(proxy, str) and "@" in proxy:
        try:
            password = urlsplit(proxy).password
        except ValueError:
            password = None
        if password:
            found.extend({password, unquote(password)})
    return [value for value in found if len(value) >= MIN_SCRUBBED]


def scrub(text: str, inputs: Mapping[str, Any]) -> str:
    """`text` with every secret of `inputs` replaced by ``***``, longest first."""
    for secret in sorted(secrets_of(inputs), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text
