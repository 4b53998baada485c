"""Retries through the mock transport, on a clock of the test's own: a safe failure is tried
again and publishes once, an unsafe one only with an idempotencyKey, never past `retries` or
the execution's timeout; each try is signed again; `retries` and PUSHER_RETRIES."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import pytest

from mesg_pusher import PusherConnectionError, PusherTimeoutError
from mesg_pusher.mesg import load_packaged
from mesg_pusher.pusher import Connection, HttpRequest, MockTransport
from mesg_pusher.tasks import TASKS, ApiTask, ServiceEnvironment, TaskOutput, TaskRunner
from tests.tasks.conftest import inputs_for, trigger_inputs

URL = "http://127.0.0.1:9/apps/3/events"


@dataclass
class Clock:
    """Time that passes only when the runner sleeps, or a test says."""

    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def scripted(*steps: BaseException | tuple[int, str]) -> MockTransport:
    """A transport that answers (or fails) each request with the next step, the last one
    repeated."""
    answers = list(steps)

    def answer(connection: Connection, request: HttpRequest) -> tuple[int, bytes]:
        step = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(step, BaseException):
            raise step
        status, body = step
        return status, body.encode()

    return MockTransport(answer)


def runner_on(
    transport: MockTransport, clock: Clock, environ: dict[str, str] | None = None
) -> TaskRunner:
    return TaskRunner(
        transport,
        clock=clock.time,
        timer=clock.time,
        sleep=clock.sleep,
        draw=lambda: 0.5,
        environment=ServiceEnvironment.read(environ or {}),
    )


REFUSED = PusherConnectionError(URL, "could not connect: refused", sent=False)
RESET = PusherConnectionError(URL, "the server closed the connection", sent=True)
OK = (200, "{}")


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def test_a_safe_failure_is_tried_again_and_publishes_once(clock: Clock) -> None:
    transport = scripted(REFUSED, (503, "Service Unavailable"), OK)
    output = await runner_on(transport, clock).execute("trigger", trigger_inputs())
    assert output == TaskOutput.success()
    assert len(transport.sent) == 3
    assert clock.slept == pytest.approx([0.15, 0.3])  # the jitter's middle, doubling


async def test_safe_failures_stop_after_the_retries(clock: Clock) -> None:
    transport = scripted((503, "Service Unavailable"))
    output = await runner_on(transport, clock).execute("trigger", trigger_inputs(retries=4))
    assert output.data == {
        "error": "Pusher answered 503 Service Unavailable: Service Unavailable (after 5 tries)",
        "kind": "server",
        "retry": "safe",
        "status": 503,
    }
    assert len(transport.sent) == 5


@pytest.mark.parametrize("failure", [RESET, PusherTimeoutError(URL, 300, sent=True)])
async def test_an_unsafe_failure_is_not_tried_again_without_a_key(
    clock: Clock, failure: Exception
) -> None:
    transport = scripted(failure, OK)
    output = await runner_on(transport, clock).execute("trigger", trigger_inputs())
    assert (output.key, output.data["retry"]) == ("error", "unsafe")
    assert len(transport.sent) == 1
    assert clock.slept == []


@pytest.mark.parametrize("task", ["trigger", "triggerBatch", "sendToUser"])
async def test_with_a_key_an_unsafe_failure_is_tried_again(clock: Clock, task: str) -> None:
    transport = scripted(RESET, (500, "oops"), OK)
    inputs = keyed_inputs(task, idempotencyKey="order-17")
    output = await runner_on(transport, clock).execute(task, inputs)
    assert output.key == "success", output
    assert len(transport.sent) == 3


@pytest.mark.parametrize("task", ["trigger", "triggerBatch", "sendToUser"])
async def test_with_a_key_a_safe_last_failure_after_an_unsafe_try_is_unsafe(
    clock: Clock, task: str
) -> None:
    # The reset may have published; the 503s that follow cannot undo that. Answered `safe`, the
    # key would not be remembered, and the next execution with it would publish again.
    transport = scripted(RESET, (503, "Service Unavailable"))
    inputs = keyed_inputs(task, idempotencyKey="order-18")
    output = await runner_on(transport, clock).execute(task, inputs)
    assert len(transport.sent) == 3
    assert output.data == {
        "error": "Pusher answered 503 Service Unavailable: Service Unavailable (after 3 tries); "
        "an earlier try may have been published",
        "kind": "server",
        "retry": "unsafe",
        "status": 503,
    }


async def test_an_empty_key_is_no_key(clock: Clock) -> None:
    transport = scripted(RESET, OK)
    output = await runner_on(transport, clock).execute("trigger", trigger_inputs(idempotencyKey=""))
    assert output.data["retry"] == "unsafe"
    assert len(transport.sent) == 1


def keyed_inputs(task: str, **changes: Any) -> dict[str, Any]:
    if task == "trigger":
        return trigger_inputs(**changes)
    if task == "triggerBatch":
        base = trigger_inputs(**changes)
        for key in ("channel", "name", "data"):
            base.pop(key)
        return {**base, "batch": [{"name": "e", "channel": "c", "data": "d"}]}
    return inputs_for(task, **changes)


@pytest.mark.parametrize("failure", [(401, "Unknown auth_key"), (413, "too big"), (404, "no")])
async def test_a_useless_failure_is_never_tried_again(
    clock: Clock, failure: tuple[int, str]
) -> None:
    transport = scripted(failure, OK)
    output = await runner_on(transport, clock).execute(
        "trigger", trigger_inputs(idempotencyKey="k")
    )
    assert output.data["retry"] == "useless"
    assert len(transport.sent) == 1


async def test_retries_0_turns_them_off_and_the_environment_sets_the_default(
    clock: Clock,
) -> None:
    transport = scripted(REFUSED)
    output = await runner_on(transport, clock).execute("trigger", trigger_inputs(retries=0))
    assert output.data["error"] == str(REFUSED)  # one try: no "(after ... tries)"
    assert len(transport.sent) == 1
    transport = scripted(REFUSED)
    runner = runner_on(transport, clock, {"PUSHER_RETRIES": "5"})
    await runner.execute("trigger", trigger_inputs())
    assert len(transport.sent) == 6
    transport = scripted(REFUSED)
    runner = runner_on(transport, clock, {"PUSHER_RETRIES": "5"})
    await runner.execute("trigger", trigger_inputs(retries=1))  # the input wins
    assert len(transport.sent) == 2


@pytest.mark.parametrize("value", [-1, 11, 1.5, 1e300])
async def test_retries_out_of_bounds_is_an_input_error(clock: Clock, value: float) -> None:
    transport = scripted(OK)
    output = await runner_on(transport, clock).execute("trigger", trigger_inputs(retries=value))
    assert output.data == {
        "error": "retries: a whole number from 0 to 10 is expected",
        "kind": "input",
        "retry": "useless",
    }
    assert transport.sent == []


@pytest.mark.parametrize("value", ["-1", "11", "two", "1.5"])
def test_a_bad_pusher_retries_names_the_variable(value: str) -> None:
    environment = ServiceEnvironment.read({"PUSHER_RETRIES": value})
    assert environment.error is not None
    assert str(environment.error) == "PUSHER_RETRIES: a whole number from 0 to 10 is expected"


async def test_the_retries_stay_within_the_timeout(clock: Clock) -> None:
    def slow_refusal(connection: Connection, request: HttpRequest) -> tuple[int, bytes]:
        clock.now += 0.9  # each try takes 0.9 s before it is refused
        raise REFUSED

    transport = MockTransport(slow_refusal)
    output = await runner_on(transport, clock).execute(
        "trigger", trigger_inputs(timeout=2000, retries=10)
    )
    # 0.9 + 0.15 + 0.9: another wait (0.3 s) and try would not fit in the 2 s.
    assert len(transport.sent) == 2
    assert clock.slept == pytest.approx([0.15])
    assert output.data["retry"] == "safe"


async def test_a_try_that_may_be_timed_out_again_gets_a_share_of_the_timeout(
    clock: Clock,
) -> None:
    transport = scripted(OK)
    runner = runner_on(transport, clock)
    await runner.execute("trigger", trigger_inputs(timeout=9000))
    await runner.execute("trigger", trigger_inputs(timeout=9000, idempotencyKey="k"))
    await runner.execute("channel", inputs_for("channel", timeout=9000))
    timeouts = [connection.timeout_ms for connection, _ in transport.sent]
    assert timeouts == [9000, 3000, 3000]  # a publish without a key keeps the whole timeout


async def test_each_try_is_signed_again(clock: Clock) -> None:
    def refused_then_late(connection: Connection, request: HttpRequest) -> tuple[int, bytes]:
        clock.now += 700  # a try that takes long: its signature would be stale by the next
        raise REFUSED

    transport = MockTransport(refused_then_late)
    await runner_on(transport, clock).execute(
        "trigger", trigger_inputs(timeout=3_600_000, retries=1)
    )
    stamps = [int(dict(parse_qsl(r.query))["auth_timestamp"]) for _, r in transport.sent]
    assert len(stamps) == 2
    assert stamps[1] - stamps[0] >= 700


async def test_a_query_is_tried_again_after_a_reset(clock: Clock) -> None:
    answer = json.dumps({"occupied": True})
    transport = scripted(RESET, (200, answer))
    output = await runner_on(transport, clock).execute("channel", inputs_for("channel"))
    assert output == TaskOutput("success", {"occupied": True})
    assert len(transport.sent) == 2


def test_the_issues_inputs_are_declared_where_they_are_read() -> None:
    tasks = load_packaged().tasks
    calling = {key for key, task in TASKS.items() if isinstance(task, ApiTask)}
    publishing = {
        key for key, task in TASKS.items() if isinstance(task, ApiTask) and task.publishes
    }
    assert publishing == {"trigger", "triggerBatch", "sendToUser"}

    def declaring(name: str, kind: str) -> set[str]:
        found = {key for key, task in tasks.items() if name in task.inputs}
        for key in found:
            declared = tasks[key].inputs[name]
            assert (declared.type, declared.optional) == (kind, True), (key, name)
        return found

    assert declaring("retries", "Number") == calling
    assert declaring("idempotencyKey", "String") == publishing
    assert declaring("maxDataBytes", "Number") == publishing
    assert declaring("maxBatchEvents", "Number") == {"triggerBatch"}
    assert declaring("split", "Boolean") == {"trigger", "triggerBatch"}


async def test_the_idempotency_scope_is_the_app_and_the_key(clock: Clock) -> None:
    runner = runner_on(scripted(OK), clock, {"PUSHER_APP_ID": "77"})
    keyed = trigger_inputs(idempotencyKey="order-1")
    assert runner.idempotency_scope("trigger", keyed) == ("3", "order-1")
    assert runner.idempotency_scope("trigger", json.dumps(keyed)) == ("3", "order-1")
    del keyed["appId"]  # the environment's app id completes it
    assert runner.idempotency_scope("sendToUser", keyed) == ("77", "order-1")
    assert runner.idempotency_scope("trigger", trigger_inputs()) is None
    assert runner.idempotency_scope("trigger", trigger_inputs(idempotencyKey="")) is None
    assert runner.idempotency_scope("channels", {**keyed, "appId": "3"}) is None  # no key there
    assert runner.idempotency_scope("nope", keyed) is None
    assert runner.idempotency_scope("trigger", "not json") is None
    bare = runner_on(scripted(OK), clock)
    assert bare.idempotency_scope("trigger", keyed) is None  # no app id at all
