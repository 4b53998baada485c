"""The service end to end, in one event loop with the engine stand-in and a Pusher-like server:
what a MESG application sees through ExecuteTask and ListenResult, and the service's answers to
malformed executions, overload, refusals and a lost engine."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from typing import Any

import pytest

from mesg_pusher.engine import CoreClient, Engine, EngineServer
from mesg_pusher.mesg import Output as DeclaredOutput
from mesg_pusher.mesg import Parameter, ServiceDefinition, Task, load_packaged
from mesg_pusher.tasks import TaskOutput
from tests.runtime.conftest import (
    ELSEWHERE,
    WAIT,
    GatedPusher,
    serving,
    trigger_inputs,
    until,
)
from tests.runtime.generations import assert_answered_once

pytestmark = pytest.mark.slow

PACKAGED = load_packaged()


def _with_task(definition: ServiceDefinition, key: str) -> ServiceDefinition:
    """`definition` plus a task this service does not implement (as a newer mesg.yml might)."""
    outputs = {
        "success": DeclaredOutput("success", {"message": Parameter("message")}),
        "error": DeclaredOutput("error", {"error": Parameter("error")}),
    }
    return dataclasses.replace(
        definition, tasks={**definition.tasks, key: Task(key, inputs={}, outputs=outputs)}
    )


def _success_also_needs_count(definition: ServiceDefinition) -> ServiceDefinition:
    """`definition` whose success outputs declare a second, required parameter."""
    tasks = {}
    for key, task in definition.tasks.items():
        success = task.outputs["success"]
        data = {**success.data, "count": Parameter("count", type="Number")}
        outputs = {**task.outputs, "success": dataclasses.replace(success, data=data)}
        tasks[key] = dataclasses.replace(task, outputs=outputs)
    return dataclasses.replace(definition, tasks=tasks)


@pytest.mark.parametrize("ready_header", [False, True], ids=["v0.2", "v0.7-header"])
async def test_both_tasks_as_an_application_sees_them(
    pusher: GatedPusher, ready_header: bool
) -> None:
    engine = Engine(ready_header=ready_header)
    async with (
        EngineServer(engine) as server,
        serving(server) as running,
        CoreClient(server.address) as client,
        client.results(server.token) as results,
    ):
        token = server.token
        single = await client.execute(
            token, "trigger", trigger_inputs(pusher, data={"text": "<b>héllo</b>"}, socket_id="1.2")
        )
        batch = await client.execute(
            token,
            "triggerBatch",
            {
                **pusher.inputs(),
                "batch": [
                    {"channel": "a", "name": "e1", "data": "raw"},
                    {"channel": "b", "name": "e2", "data": {"n": 2}},
                ],
            },
        )
        wrong_secret = await client.execute(
            token, "trigger", trigger_inputs(pusher, secret="not-the-secret-at-all")
        )
        bad_channel = await client.execute(
            token, "trigger", trigger_inputs(pusher, channel="no spaces allowed")
        )
        async with asyncio.timeout(WAIT):
            answers = await results.wait_for([single, batch, wrong_secret, bad_channel])
        assert await running.finish() == 0
        assert running.service.stats.settled == running.service.stats.received

    assert (answers[single].taskKey, answers[single].outputKey) == ("trigger", "success")
    assert json.loads(answers[single].outputData) == {"message": "sent"}
    assert (answers[batch].taskKey, answers[batch].outputKey) == ("triggerBatch", "success")
    assert answers[wrong_secret].outputKey == "error"
    error = json.loads(answers[wrong_secret].outputData)["error"]
    assert error.startswith("Pusher answered 401 Unauthorized: Invalid signature")
    assert "not-the-secret-at-all" not in error
    assert answers[bad_channel].outputKey == "error"
    assert "channel" in json.loads(answers[bad_channel].outputData)["error"]
    assert all(len(results.by_execution[i]) == 1 for i in answers)

    sent = {r.path: r.json for r in pusher.accepted}
    assert sent["/apps/3/events"] == {
        "name": "my-event",
        "channels": ["my-channel"],
        "data": '{"text":"<b>héllo</b>"}',
        "socket_id": "1.2",
    }
    assert [e["name"] for e in sent["/apps/3/batch_events"]["batch"]] == ["e1", "e2"]
    assert running.service.stats.succeeded == 2
    assert running.service.stats.failed == 2
    assert engine.refused() == []


async def test_malformed_task_data_gets_an_error_each_and_serving_goes_on(
    pusher: GatedPusher,
) -> None:
    # The engine knows a task this service does not, so it lets such executions through.
    engine = Engine(_with_task(PACKAGED, "presence"))
    async with EngineServer(engine) as server, serving(server) as running:
        token = server.token
        bad_json = await engine.deliver(token, "trigger", '{"appId": "3",')
        not_object = await engine.deliver(token, "trigger", "[1, 2]")
        wrong_types = await engine.deliver(
            token, "trigger", json.dumps({**trigger_inputs(pusher), "appId": 3, "data": "x"})
        )
        unknown_task = await engine.execute(token, "presence", {})
        good = await engine.execute(token, "trigger", trigger_inputs(pusher))
        ids = [bad_json, not_object, wrong_types, unknown_task, good]
        await until(lambda: all(i in engine.results for i in ids))
        assert await running.finish() == 0
        assert running.service.stats.settled == running.service.stats.received

    errors = {i: str(engine.results[i].data.get("error")) for i in ids}
    assert errors[bad_json].startswith("inputData: not valid JSON")
    assert errors[not_object] == "inputData: the inputs are a JSON object"
    assert errors[wrong_types] == (
        "Inputs of task 'trigger' are invalid. Value of 'appId' is not a string. "
        "Value of 'data' is not an object or array"
    )
    assert errors[unknown_task] == (
        "taskKey: Task 'presence' not found in service 'mesg-pusher' (its tasks: "
        "authenticateUser, authorizeChannel, channel, channels, sendToUser, "
        "terminateUserConnections, trigger, triggerBatch, users)"
    )
    assert engine.results[good].output_key == "success"
    assert engine.refused() == []


async def test_beyond_slots_and_queue_executions_are_refused_at_once(
    engine_server: EngineServer, pusher: GatedPusher
) -> None:
    engine = engine_server.engine
    pusher.gate.clear()  # hold every Pusher request until the test lets them through
    async with serving(engine_server, max_in_flight=2, queue_size=3) as running:
        ids = [
            await engine.execute(engine.token, "trigger", trigger_inputs(pusher)) for _ in range(10)
        ]
        refused = ids[5:]
        await until(lambda: all(i in engine.results for i in refused))
        assert not any(i in engine.results for i in ids[:5])
        await until(lambda: pusher.waiting == 2)
        pusher.gate.set()
        await until(lambda: all(i in engine.results for i in ids))
        assert await running.finish() == 0
        assert running.service.stats.settled == running.service.stats.received

    for execution_id in refused:
        assert engine.results[execution_id].data == {
            "error": "the service is overloaded (2 executions in flight and 3 waiting); "
            "the execution was not run, try again later",
            "kind": "overloaded",
            "retry": "safe",
        }
    assert [engine.results[i].output_key for i in ids[:5]] == ["success"] * 5
    assert len(engine.submissions) == 10
    assert running.service.stats.overloaded == 5


async def test_after_the_grace_period_unfinished_executions_are_answered_with_an_error(
    engine_server: EngineServer, pusher: GatedPusher
) -> None:
    engine = engine_server.engine
    pusher.gate.clear()
    async with serving(engine_server, max_in_flight=2, queue_size=3, grace_period=1.0) as running:
        ids = [
            await engine.execute(engine.token, "trigger", trigger_inputs(pusher)) for _ in range(5)
        ]
        await until(lambda: pusher.waiting == 2)
        assert await running.finish() == 0
        assert running.service.stats.settled == running.service.stats.received

    # The two running were stopped short; the three waiting were never started.
    errors = [engine.results[i].data["error"] for i in ids]
    assert (
        errors[:2]
        == [
            "the service stopped before the execution finished (grace period over); "
            "it may or may not have been published"
        ]
        * 2
    )
    assert (
        errors[2:]
        == [
            "the service stopped before running this execution (grace period over); "
            "nothing was published"
        ]
        * 3
    )
    assert pusher.arrived == 2
    assert running.service.stats.stopped == 5
    assert engine.refused() == []


async def test_a_defect_in_a_task_is_answered_and_serving_goes_on(
    engine_server: EngineServer, pusher: GatedPusher, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = engine_server.engine
    async with serving(engine_server) as running:
        runner = running.service._runner
        execute = runner.execute
        calls = []

        async def broken_once(task_key: str, input_data: str) -> TaskOutput:
            calls.append(task_key)
            if len(calls) == 1:
                raise RuntimeError("a defect")
            return await execute(task_key, input_data)

        monkeypatch.setattr(runner, "execute", broken_once)
        first = await engine.execute(engine.token, "trigger", trigger_inputs(pusher))
        second = await engine.execute(engine.token, "trigger", trigger_inputs(pusher))
        await until(lambda: first in engine.results and second in engine.results)
        assert await running.finish() == 0
        assert running.service.stats.settled == running.service.stats.received

    assert engine.results[first].data == {
        "error": "internal error in task trigger: RuntimeError",
        "kind": "defect",
        "retry": "useless",
    }
    assert engine.results[second].output_key == "success"


async def test_outputs_are_checked_against_mesg_yml_before_submission(
    engine_server: EngineServer, pusher: GatedPusher
) -> None:
    engine = engine_server.engine
    strict = _success_also_needs_count(PACKAGED)  # the service's own mesg.yml, stricter
    async with serving(engine_server, definition=strict) as running:
        execution_id = await engine.execute(engine.token, "trigger", trigger_inputs(pusher))
        await until(lambda: execution_id in engine.results)
        assert await running.finish() == 0
        assert running.service.stats.settled == running.service.stats.received

    assert engine.results[execution_id].data == {
        "error": "the service produced an output the engine would refuse: Outputs 'success' "
        "of task 'trigger' are invalid. Value of 'count' is required",
        "kind": "defect",
        "retry": "useless",
    }
    assert engine.refused() == []  # the engine never had to refuse anything


async def test_an_output_the_engine_refuses_is_answered_with_an_error_instead(
    pusher: GatedPusher,
) -> None:
    engine = Engine(_success_also_needs_count(PACKAGED))  # the engine's mesg.yml differs
    async with EngineServer(engine) as server, serving(server) as running:
        execution_id = await engine.execute(server.token, "trigger", trigger_inputs(pusher))
        await until(lambda: execution_id in engine.results)
        assert await running.finish() == 0
        assert running.service.stats.settled == running.service.stats.received

    assert engine.results[execution_id].data == {
        "error": "the engine refused the success output: Outputs 'success' of task 'trigger' "
        "are invalid. Value of 'count' is required",
        "kind": "defect",
        "retry": "useless",
    }
    assert [s.output_key for s in engine.submissions] == ["success", "error"]


async def test_a_result_for_an_execution_the_engine_forgot_is_dropped_not_retried(
    engine_server: EngineServer, pusher: GatedPusher
) -> None:
    engine = engine_server.engine
    pusher.gate.clear()
    async with serving(engine_server) as running:
        execution_id = await engine.execute(engine.token, "trigger", trigger_inputs(pusher))
        await until(lambda: pusher.waiting == 1)
        engine.submit_result(execution_id, "error", ELSEWHERE)
        pusher.gate.set()
        await until(lambda: len(engine.submissions) == 2)
        await until(lambda: running.service.stats.dropped == 1)
        assert await running.finish() == 0
        assert running.service.stats.settled == running.service.stats.received

    assert [s.error for s in engine.submissions] == [
        None,
        f"Execution {execution_id} doesn't exists",
    ]


async def test_results_finished_while_the_engine_is_away_are_submitted_on_its_return(
    engine_server: EngineServer, pusher: GatedPusher
) -> None:
    engine = engine_server.engine
    pusher.gate.clear()
    # Short attempts, so that results are retried several times while the engine is away.
    async with serving(engine_server, reconnect_max_delay=0.5, submit_timeout=0.1) as running:
        before = [
            await engine.execute(engine.token, "trigger", trigger_inputs(pusher)) for _ in range(5)
        ]
        await until(lambda: pusher.waiting == 5)
        await engine_server.drop()
        pusher.gate.set()  # they finish while nobody can take their results
        await until(lambda: len(pusher.accepted) == 5)
        await asyncio.sleep(0.5)  # several attempts to submit fail meanwhile
        assert engine.results == {}
        await engine_server.start()
        await until(lambda: all(i in engine.results for i in before))
        await until(lambda: engine.task_listeners() == 1)
        after = [
            await engine.execute(engine.token, "trigger", trigger_inputs(pusher)) for _ in range(5)
        ]
        await until(lambda: all(i in engine.results for i in after))
        assert await running.finish() == 0
        assert running.service.stats.settled == running.service.stats.received

    assert [engine.results[i].output_key for i in before + after] == ["success"] * 10
    assert_answered_once(engine, before + after)
    assert running.service.stats.connections >= 2
    assert running.service.stats.retried >= 5  # each result was tried again at least once


async def test_a_stop_under_load_is_over_within_the_grace_period(
    engine_server: EngineServer, pusher: GatedPusher
) -> None:
    engine = engine_server.engine
    pusher.gate.clear()  # every execution hangs in Pusher
    grace = 4.0
    async with serving(engine_server, grace_period=grace) as running:
        feeding = True

        async def feed() -> None:  # the stream never falls quiet: reading on takes its longest
            while feeding:  # every 50 ms, under the 100 ms of quiet that ends the reading
                await engine.execute(engine.token, "trigger", trigger_inputs(pusher))
                await asyncio.sleep(0.05)

        feeder = asyncio.create_task(feed())
        await until(lambda: pusher.waiting >= 10)
        began = asyncio.get_running_loop().time()
        status = await running.finish()
        took = asyncio.get_running_loop().time() - began
        feeding = False
        async with asyncio.timeout(WAIT):
            await feeder

    assert status == 0
    stats = running.service.stats
    assert stats.settled == stats.received
    assert stats.stopped == stats.received  # every one stopped short and answered
    assert all(engine.results[i].output_key == "error" for i in engine.results)
    assert len(engine.results) == stats.received
    # Reading on (up to 2 s), running and answering used to come one after another, 6 s or
    # more here; now they share the grace period. The margin is for a slow machine.
    assert took < grace + 1.75, f"the stop took {took:.2f} s"


async def test_an_execution_above_the_size_limit_is_answered_at_once_and_not_run(
    engine_server: EngineServer, pusher: GatedPusher
) -> None:
    engine = engine_server.engine
    async with serving(engine_server) as running:
        huge = await engine.execute(
            engine.token, "trigger", trigger_inputs(pusher, data={"x": "a" * (17 << 20)})
        )
        after = await engine.execute(engine.token, "trigger", trigger_inputs(pusher))
        await until(lambda: huge in engine.results and after in engine.results)
        assert await running.finish() == 0
        assert running.service.stats.settled == running.service.stats.received

    error = engine.results[huge].data["error"]
    assert error.startswith("the execution is too large: 17.0 MiB of task data")
    assert error.endswith("above the 16 MiB this service takes; it was not run")
    assert engine.results[after].output_key == "success"
    assert pusher.arrived == 1  # the huge one never reached Pusher
    assert running.service.stats.connections == 1  # and the stream did not break


async def test_the_first_attempt_after_the_engine_returns_connects(
    engine_server: EngineServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mesg_pusher.runtime")
    log = logging.getLogger("mesg_pusher.runtime")

    def failures() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.getMessage() == "could not reach the engine"]

    async with serving(engine_server, reconnect_max_delay=2.0) as running:
        await engine_server.drop()
        # Attempts fail until their waits reach the cap (gRPC's own reconnection timer, which
        # used to run beside ours, would be at about 2 s too).
        await until(lambda: len(failures()) >= 7)
        seen = len(failures())
        await until(lambda: len(failures()) > seen)
        retry_in = failures()[-1].fields["retry_in_s"]  # type: ignore[attr-defined]
        # The engine returns just before the next attempt: that attempt must connect, not fail
        # with a stale error while gRPC waits out a timer of its own.
        await asyncio.sleep(max(0.0, retry_in - 0.3))
        await engine_server.start()
        log.info("test: the engine is back")
        await until(lambda: engine_server.engine.task_listeners() >= 1)
        assert await running.finish() == 0

    messages = [r.getMessage() for r in caplog.records]
    back = messages.index("test: the engine is back")
    first = messages.index("connecting to the engine", back)  # the first attempt begun after
    listening = messages.index("listening for tasks", first)
    assert "could not reach the engine" not in messages[first:listening], messages[back:]


@pytest.mark.parametrize("broken_times", [1, 2], ids=["once", "again"])
async def test_a_defect_in_serve_itself_is_answered_once_or_counted_unsent(
    engine_server: EngineServer,
    pusher: GatedPusher,
    monkeypatch: pytest.MonkeyPatch,
    broken_times: int,
) -> None:
    engine = engine_server.engine
    async with serving(engine_server) as running:
        submitter = running.service._executions._submitter
        submit = submitter.submit
        calls: list[str] = []

        async def broken(execution: Any, output: TaskOutput) -> Any:
            calls.append(output.key)
            if len(calls) <= broken_times:
                raise KeyError("a defect")
            return await submit(execution, output)

        monkeypatch.setattr(submitter, "submit", broken)
        execution_id = await engine.execute(engine.token, "trigger", trigger_inputs(pusher))
        await until(lambda: running.service.stats.settled == 1)
        assert await running.finish() == (0 if broken_times == 1 else 1)

    stats = running.service.stats
    assert stats.settled == stats.received == 1
    if broken_times == 1:  # the defect's own answer, once
        assert engine.results[execution_id].data == {
            "error": "internal error in task trigger: KeyError",
            "kind": "defect",
            "retry": "useless",
        }
        assert calls == ["success", "error"]
    else:  # its answer broke too: counted, never a second try
        assert stats.unsent == 1
        assert calls == ["success", "error"]
        assert execution_id not in engine.results
