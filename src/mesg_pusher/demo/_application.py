"""The demo's MESG application, in the protocol of the engine release it runs on: it runs each
step as an execution, prints the answer the way that release's CLI did, and hears the events
``serve`` emits.

- The first generation (the default): ``api.Core`` ``ExecuteTask``, ``ListenResult`` and
  ``ListenEvent``, each output printed as ``mesg-core service execute`` did (``Task trigger
  returned output success with data:``).
- Later releases: the release's application rpcs (`mesg_pusher.engine.EngineClient`), each
  result printed as ``mesg-pusher engine listen`` prints one: the outputs (``Task trigger
  returned outputs:``) or the execution's error (``Task trigger failed: ...``), which the step
  reads as the first generation's ``success`` and ``error``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any, Protocol, TextIO

from .. import _command_line as commands
from .._errors import MesgPusherError
from ..engine import CoreClient, EngineClient, Events, Heard, Results
from ._scenario import Step

#: How long the demo waits for any one answer.
WAIT = 10.0


class DemoFailed(MesgPusherError):
    """Something did not happen as the scenario says; the message says what."""


class HeardEvents(Protocol):
    """The events an application heard: (key, data) of each, in order."""

    heard_on: str  # the rpc that hears them, as the demo prints it

    def data(self) -> Sequence[tuple[str, dict[str, Any]]]: ...

    async def wait_count(self, count: int) -> None: ...


def plain(value: Any) -> Any:
    """A Struct's values as JSON shows them: whole numbers without a fraction (a Struct holds
    every number as a double)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


async def answer_first(
    core: CoreClient, results: Results, service: str, step: Step, *, number: int, out: TextIO
) -> Any:
    """Run `step` through ``ExecuteTask`` and ``ListenResult``, print its output as the
    engine's CLI did, and check it; the output's data."""
    execution = await core.execute(service, step.task, step.inputs)
    async with asyncio.timeout(WAIT):
        result = (await results.wait_for([execution]))[execution]
    commands.say(f"Task {result.taskKey} returned output {result.outputKey} with data:", stream=out)
    data = json.loads(result.outputData)
    commands.say_json(data, stream=out)
    return _checked(step, number, result.outputKey, data)


async def answer_later(
    client: EngineClient, results: Heard, service: str, step: Step, *, number: int, out: TextIO
) -> Any:
    """Run `step` through the release's application rpcs, print the outputs or the error,
    and check it; the outputs (or ``{"error": text}``)."""
    execution = await client.execute(service, step.task, step.inputs)
    async with asyncio.timeout(WAIT):
        heard = await results.result_of(execution)
    if heard.error is not None:
        commands.say(f"Task {heard.task_key} failed: {heard.error}", stream=out)
        return _checked(step, number, "error", {"error": heard.error})
    data = plain(dict(heard.outputs or {}))
    commands.say(f"Task {heard.task_key} returned outputs:", stream=out)
    commands.say_json(data, stream=out)
    return _checked(step, number, "success", data)


def _checked(step: Step, number: int, output: str, data: Any) -> Any:
    if output != step.output:
        raise DemoFailed(f"step {number} answered {output}, not {step.output}")
    if step.expect is not None and data != step.expect:
        raise DemoFailed(f"step {number} answered {data}, not {step.expect}")
    return data


class FirstEvents:
    """``ListenEvent``'s events."""

    heard_on = "ListenEvent"

    def __init__(self, events: Events) -> None:
        self._events = events

    def data(self) -> list[tuple[str, dict[str, Any]]]:
        return self._events.data()

    async def wait_count(self, count: int) -> None:
        await self._events.wait_count(count)


class LaterEvents:
    """The events of a later release's event stream."""

    def __init__(self, events: Heard, heard_on: str) -> None:
        self._events = events
        self.heard_on = heard_on

    def data(self) -> list[tuple[str, dict[str, Any]]]:
        return [(event.key, plain(dict(event.data))) for event in self._events.heard]

    async def wait_count(self, count: int) -> None:
        await self._events.wait_count(count)
