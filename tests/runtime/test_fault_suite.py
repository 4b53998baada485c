"""The fault suite around serve: an engine stand-in that sends undecodable messages, duplicate
ids, ids of both shapes, freezes, dies and refuses results in each of its words. Whatever it
does, every execution ends in exactly one outcome, the exit status says whether all were
answered, and no log line holds a secret (serve's log is captured and rendered in both
formats). What every generation can do runs on each (`EACH`: the first generation with both
shapes of its ids, then one release of each later generation); what only the first
generation's engines did (raw task messages, tasks it does not know) runs on it."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from mesg_pusher._logs import JsonFormatter, TextFormatter
from mesg_pusher.engine import EngineServer, IdShape
from mesg_pusher.mesg import words
from tests.runtime.conftest import GatedPusher, Running, serving, trigger_inputs, until
from tests.runtime.generations import (
    ONE_PER_GENERATION,
    answer_elsewhere,
    defect_outcome,
    engine_of,
    gone_texts,
    outcome,
)

pytestmark = pytest.mark.slow

SHAPES = pytest.mark.parametrize("ids", list(IdShape), ids=[shape.value for shape in IdShape])
#: The engines every fault runs on: v0.2 with both shapes of ids, one release of each later
#: generation.
ENGINES = [("v0.2", shape) for shape in IdShape] + [(tag, None) for tag in ONE_PER_GENERATION[1:]]
EACH = pytest.mark.parametrize(
    ("tag", "ids"), ENGINES, ids=[f"{tag}-{ids.value}" if ids else tag for tag, ids in ENGINES]
)
#: The same, but for v0.1-v0.3's ids, which hold every input (so a large one is twice as large).
SHORT_IDS = [(tag, ids) for tag, ids in ENGINES if ids is not IdShape.JOINED]
EACH_SHORT_ID = pytest.mark.parametrize(
    ("tag", "ids"), SHORT_IDS, ids=[f"{tag}-{i.value}" if i else tag for tag, i in SHORT_IDS]
)


class ServeLog:
    """Serve's log lines as the operator would read them, in both formats."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self._caplog = caplog

    def records(self) -> list[logging.LogRecord]:
        """Serve's own records (the engine stand-in's are the engine's log, not serve's)."""
        return [r for r in self._caplog.records if not r.name.startswith("mesg_pusher.engine")]

    def rendered(self) -> str:
        lines: list[str] = []
        for formatter in (TextFormatter(), JsonFormatter()):
            lines.extend(formatter.format(record) for record in self.records())
        return "\n".join(lines)

    def executions(self) -> list[dict[str, Any]]:
        """The fields of every execution line."""
        return [
            r.fields  # type: ignore[attr-defined]
            for r in self.records()
            if r.getMessage() == "execution"
        ]

    def assert_free_of(self, *secrets: str) -> None:
        text = self.rendered()
        for secret in secrets:
            for form in (secret, json.dumps(secret)[1:-1]):
                assert form not in text, f"{form!r} is in serve's log"


@pytest.fixture
def serve_log(caplog: pytest.LogCaptureFixture) -> ServeLog:
    caplog.set_level(logging.DEBUG, logger="mesg_pusher")
    return ServeLog(caplog)


@asynccontextmanager
async def stand_in(
    tag: str = "v0.2", ids: IdShape | None = IdShape.DIGEST, **options: Any
) -> AsyncIterator[EngineServer]:
    if ids is not None:
        options["ids"] = ids
    async with EngineServer(engine_of(tag, **options)) as server:
        yield server


async def finish_and_check(running: Running, status: int = 0) -> None:
    assert await running.finish() == status
    stats = running.service.stats
    assert stats.settled == stats.received, stats


# 1. Log lines hold no secret whatever the execution id holds ----------------------------


@EACH
async def test_no_secret_in_any_log_line_whatever_the_id_holds(
    tag: str,
    ids: IdShape | None,
    pusher: GatedPusher,
    serve_log: ServeLog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = pusher.inputs()["secret"]
    async with stand_in(tag, ids) as server, serving(server, submit_timeout=2.0) as running:
        engine = server.engine
        token = server.token
        good = await engine.execute(token, "trigger", trigger_inputs(pusher))
        await until(lambda: good in engine.results)
        # An answer retried (a retry warning), one the engine forgot (a drop), a defect.
        pusher.gate.clear()
        retried = await engine.execute(token, "trigger", trigger_inputs(pusher))
        dropped = await engine.execute(token, "trigger", trigger_inputs(pusher, name="other"))
        await until(lambda: pusher.waiting == 2)
        answer_elsewhere(engine, dropped)
        engine.refuse_next("database is locked")
        pusher.gate.set()
        await until(lambda: retried in engine.results and running.service.stats.dropped == 1)
        runner = running.service._runner

        async def broken(task_key: str, input_data: str) -> Any:
            raise RuntimeError(f"a defect quoting {input_data}")

        monkeypatch.setattr(runner, "execute", broken)
        defective = await engine.execute(token, "trigger", trigger_inputs(pusher))
        await until(lambda: defective in engine.results)
        await finish_and_check(running)

    assert outcome(engine, good)[0] == "success"
    assert outcome(engine, defective) == defect_outcome(engine)
    lines = serve_log.executions()
    assert sorted(line["outcome"] for line in lines) == ["dropped", "error", "success", "success"]
    labels = [line["execution_id"] for line in lines]
    assert len(set(labels)) == 4  # told apart
    if ids is not IdShape.JOINED:  # digests and hashes are shown as they are
        assert set(labels) == {good, retried, dropped, defective}
    else:
        assert all(label.endswith("#" + label.rpartition("#")[2]) for label in labels)
        assert all(".mesg-pusher.trigger.{…}#" in label for label in labels)
    assert "submitting the result failed (UNKNOWN: database is locked)" in serve_log.rendered()
    serve_log.assert_free_of(secret)


# 2. "Execution gone" in each of the engine's forms, for any id ----------------------------

GONE = [("v0.2", shape, form) for shape in IdShape for form in ("api", "queue")] + [
    (tag, None, "") for tag in ONE_PER_GENERATION[1:]
]
GONE_FORMS = {"api": words.EXECUTION_GONE, "queue": words.EXECUTION_NOT_IN_QUEUE}


@pytest.mark.parametrize(
    ("tag", "ids", "form"),
    GONE,
    ids=[f"{tag}-{ids.value}-{form}" if ids else tag for tag, ids, form in GONE],
)
async def test_a_forgotten_execution_is_dropped_logged_once_and_the_stop_is_clean(
    tag: str, ids: IdShape | None, form: str, pusher: GatedPusher, serve_log: ServeLog
) -> None:
    options = {"gone_form": GONE_FORMS[form]} if form else {}
    async with (
        stand_in(tag, ids, **options) as server,
        serving(server, submit_timeout=2.0) as running,
    ):
        engine = server.engine
        pusher.gate.clear()
        forgotten = await engine.execute(server.token, "trigger", trigger_inputs(pusher))
        await until(lambda: pusher.waiting == 1)
        answer_elsewhere(engine, forgotten)
        pusher.gate.set()
        await until(lambda: running.service.stats.dropped == 1)
        await finish_and_check(running, status=0)

    first, second = (s.error for s in engine.submissions)
    assert first is None
    assert second in gone_texts(engine, forgotten)
    mentions = [r for r in serve_log.records() if "no such execution" in r.getMessage()]
    assert mentions == []  # the execution line says it, once
    [line] = [line for line in serve_log.executions() if line["outcome"] == "dropped"]
    assert line["reason"].startswith("the engine has no such execution in progress")
    serve_log.assert_free_of(pusher.inputs()["secret"])


# 3. Undecodable task messages ----------------------------------------------------------


async def test_undecodable_messages_are_answered_or_skipped_and_the_stream_goes_on(
    pusher: GatedPusher, serve_log: ServeLog
) -> None:
    async with stand_in() as server, serving(server) as running:
        engine = server.engine
        token = server.token
        inputs = json.dumps(trigger_inputs(pusher)).encode()
        readable = await engine.deliver_raw(token, b"bad-inputs", b"trigger", inputs + b"\xff")
        await engine.deliver_raw(token, b"\xc3(", b"trigger", inputs)  # no usable id at all
        good = await engine.execute(token, "trigger", trigger_inputs(pusher))
        await until(lambda: readable in engine.results and good in engine.results)
        await finish_and_check(running)

    assert readable is not None
    assert engine.results[readable].data == {
        "error": "the task message cannot be decoded: its inputData is not valid UTF-8; "
        "it was not run",
        "kind": "input",
        "retry": "useless",
    }
    assert engine.results[good].output_key == "success"
    stats = running.service.stats
    assert (stats.undecodable, stats.connections, stats.received) == (1, 1, 2)
    assert pusher.arrived == 1
    assert "skipped a task message that cannot be decoded" in serve_log.rendered()
    serve_log.assert_free_of(pusher.inputs()["secret"])


# 10. Bytes held by running and waiting executions --------------------------------------


@EACH_SHORT_ID
async def test_bytes_held_by_running_and_waiting_executions_are_bounded(
    tag: str, ids: IdShape | None, pusher: GatedPusher
) -> None:
    pad = "x" * (1 << 20)  # an input the task ignores, 1 MiB
    async with (
        stand_in(tag, ids) as server,
        serving(server, max_held_bytes=3 << 20) as running,
    ):
        engine = server.engine
        pusher.gate.clear()
        inputs = trigger_inputs(pusher, pad=pad)
        executions = [await engine.execute(server.token, "trigger", inputs) for _ in range(6)]
        await until(lambda: running.service.stats.overloaded == 4)
        # Two are held (running), though 98 slots and the whole queue are free.
        assert pusher.waiting == 2
        pusher.gate.set()
        await until(lambda: all(i in engine.results for i in executions))
        await finish_and_check(running)

    outputs = [outcome(engine, i)[0] for i in executions]
    assert outputs == ["success"] * 2 + ["error"] * 4
    assert outcome(engine, executions[-1])[1]["error"].startswith("the service is overloaded")


# 12. A task key holding the secret --------------------------------------------------------


async def test_a_task_key_holding_the_secret_is_scrubbed_and_bounded_in_the_log(
    pusher: GatedPusher, serve_log: ServeLog
) -> None:
    secret = pusher.inputs()["secret"]
    async with stand_in() as server, serving(server) as running:
        engine = server.engine
        task_key = f"x{secret}" + "y" * 500
        await engine.deliver(server.token, task_key, json.dumps(trigger_inputs(pusher)))
        await until(lambda: running.service.stats.settled == 1)
        await finish_and_check(running)

    # The runner answers that no such task exists; the engine, which knows none either, refuses.
    assert engine.refused()[0].output_key == "error"
    [line] = serve_log.executions()
    assert line["outcome"] == "refused"
    assert line["task"].startswith("x***yyy")
    assert len(line["task"]) <= 65
    serve_log.assert_free_of(secret)


@SHAPES
async def test_the_environments_secret_is_scrubbed_from_the_log_too(
    ids: IdShape, pusher: GatedPusher, serve_log: ServeLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The app secret comes from serve's environment, not the execution: a task key that holds
    # it must still not show it (the runner's secrets, the environment's included, are used).
    secret = "env-" + pusher.inputs()["secret"]
    monkeypatch.setenv("PUSHER_APP_SECRET", secret)
    async with stand_in(ids=ids) as server, serving(server) as running:
        engine = server.engine
        inputs = {k: v for k, v in trigger_inputs(pusher).items() if k != "secret"}
        await engine.deliver(server.token, f"x{secret}y", json.dumps(inputs))
        await until(lambda: running.service.stats.settled == 1)
        await finish_and_check(running)

    [line] = serve_log.executions()
    assert line["task"].startswith("x***y")
    serve_log.assert_free_of(secret)


# 13. The same execution delivered twice ---------------------------------------------------


@EACH
async def test_an_execution_delivered_twice_is_run_and_published_once(
    tag: str, ids: IdShape | None, pusher: GatedPusher, serve_log: ServeLog
) -> None:
    async with stand_in(tag, ids) as server, serving(server) as running:
        engine = server.engine
        pusher.gate.clear()
        execution = await engine.execute(server.token, "trigger", trigger_inputs(pusher))
        await until(lambda: pusher.waiting == 1)
        await engine.redeliver(execution)  # while it runs
        await until(lambda: running.service.stats.duplicates == 1)
        pusher.gate.set()
        await until(lambda: execution in engine.results)
        await engine.redeliver(execution)  # once answered
        await until(lambda: running.service.stats.duplicates == 2)
        await finish_and_check(running)

    assert len(pusher.accepted) == 1
    assert [s.error for s in engine.submissions] == [None]
    outcomes = [line["outcome"] for line in serve_log.executions()]
    assert sorted(outcomes) == ["duplicate", "duplicate", "success"]
    serve_log.assert_free_of(pusher.inputs()["secret"])


# Refusals in each of the engine's words ------------------------------------------------


REFUSALS = [
    # (the engine's texts, in order; the outcome; the answer the engine took, if any)
    (
        ["Outputs 'success' of task 'trigger' are invalid. Value of 'message' is required"],
        "error",
        "the engine refused the success output: Outputs 'success' of task 'trigger' are "
        "invalid. Value of 'message' is required",
    ),
    (
        ["Output 'success' of task 'trigger' not found in service 'mesg-pusher'"],
        "error",
        "the engine refused the success output: Output 'success' of task 'trigger' not found "
        "in service 'mesg-pusher'",
    ),
    (
        ["Task 'trigger' not found in service 'mesg-pusher'", "unexpected end of JSON input"],
        "refused",  # the error output refused too: nothing better to send
        None,
    ),
    (["invalid character 'x' looking for beginning of value"] * 2, "refused", None),
    (["database is locked"] * 2, "success", None),  # retried, then taken
    (["database is locked"] * 5, "unsent", None),  # given up after 5 tries
    (["Database services: Service with hash 'x' not found"], "success", None),
]


@pytest.mark.parametrize(("texts", "outcome", "answer"), REFUSALS)
async def test_results_refused_in_each_of_the_engines_words(
    texts: list[str], outcome: str, answer: str | None, pusher: GatedPusher, serve_log: ServeLog
) -> None:
    async with (
        stand_in() as server,
        serving(server, reconnect_max_delay=0.2, grace_period=2.0) as running,
    ):
        engine = server.engine
        pusher.gate.clear()
        execution = await engine.execute(server.token, "trigger", trigger_inputs(pusher))
        await until(lambda: pusher.waiting == 1)
        engine.refuse_next(*texts)
        pusher.gate.set()
        await until(lambda: running.service.stats.settled == 1)
        await finish_and_check(running, status=1 if outcome == "unsent" else 0)

    [line] = serve_log.executions()
    assert line["outcome"] == outcome
    assert len(engine.refused()) == len(texts)
    if outcome in ("success", "error"):
        assert engine.results[execution].output_key == outcome
        if answer is not None:
            assert engine.results[execution].data == {
                "error": answer,
                "kind": "defect",
                "retry": "useless",
            }
    else:
        assert execution not in engine.results
    serve_log.assert_free_of(pusher.inputs()["secret"])


# Freezing and dying -----------------------------------------------------------------------


@EACH
@pytest.mark.parametrize("fault", ["freeze", "die"])
async def test_an_engine_that_freezes_or_dies_leaves_answers_unsent_within_the_grace_period(
    tag: str, ids: IdShape | None, fault: str, pusher: GatedPusher, serve_log: ServeLog
) -> None:
    grace = 2.0
    settings: dict[str, Any] = {"grace_period": grace, "submit_timeout": 0.2}
    async with stand_in(tag, ids) as server, serving(server, **settings) as running:
        engine = server.engine
        pusher.gate.clear()
        executions = [
            await engine.execute(server.token, "trigger", trigger_inputs(pusher)) for _ in range(3)
        ]
        await until(lambda: pusher.waiting == 3)
        stop: Callable[[], Any] = engine.freeze if fault == "freeze" else server.drop
        result = stop()
        if asyncio.iscoroutine(result):
            await result
        pusher.gate.set()  # they finish, but the engine takes no answer
        await until(lambda: len(pusher.accepted) == 3)
        began = asyncio.get_running_loop().time()
        await finish_and_check(running, status=1)
        took = asyncio.get_running_loop().time() - began
        engine.thaw()

    stats = running.service.stats
    assert (stats.received, stats.unsent, stats.answered) == (3, 3, 0)
    if fault == "die":  # (a frozen engine takes the calls it held once thawed)
        assert not any(i in engine.results for i in executions)
    assert took < grace + 3.0, f"the stop took {took:.2f} s"  # bounded, not hanging
    serve_log.assert_free_of(pusher.inputs()["secret"])
    if fault == "die":
        assert "lost the engine" in serve_log.rendered()
