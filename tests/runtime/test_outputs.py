"""The answers serve gives without a task's own output, each one valid under mesg.yml."""

from __future__ import annotations

from mesg_pusher.mesg import load_packaged
from mesg_pusher.runtime._error_outputs import (
    NOT_STARTED,
    overloaded,
    refused_by_engine,
    stopped_while_running,
    too_large,
    undecodable,
)
from mesg_pusher.tasks import DEFECT_FAILURE, TaskOutput, checked

DEFINITION = load_packaged()


def test_the_tasks_own_outputs_pass() -> None:
    stopped = stopped_while_running(publishes=True)
    answers = (stopped, NOT_STARTED, overloaded(1, 2), too_large(17 << 20, 16 << 20))
    for task in DEFINITION.tasks:
        for output in (TaskOutput.error("x", DEFECT_FAILURE), *answers, undecodable("a field")):
            assert checked(DEFINITION, task, output) is output
    for task in ("trigger", "triggerBatch"):
        success = TaskOutput.success()
        assert checked(DEFINITION, task, success) is success


def test_each_answer_says_its_kind_and_whether_a_retry_is_safe() -> None:
    def said(output: TaskOutput) -> tuple[str, str]:
        return output.data["kind"], output.data["retry"]

    assert said(overloaded(1, 2)) == ("overloaded", "safe")
    assert said(NOT_STARTED) == ("stopped", "safe")
    assert said(stopped_while_running(publishes=True)) == ("stopped", "unsafe")
    assert said(stopped_while_running(publishes=False)) == ("stopped", "safe")
    assert said(too_large(3, 2)) == ("input", "useless")
    assert said(undecodable("a field")) == ("input", "useless")


def test_an_output_the_engine_refused_is_replaced_once() -> None:
    replacement = refused_by_engine(TaskOutput.success(), "Outputs 'success' ... invalid")
    assert replacement == TaskOutput.error(
        "the engine refused the success output: Outputs 'success' ... invalid", DEFECT_FAILURE
    )
    assert refused_by_engine(TaskOutput.error("x", DEFECT_FAILURE), "nope") is None


def test_too_large_names_the_size_and_the_limit() -> None:
    assert too_large(17_825_792, 16_777_216).data == {
        "error": "the execution is too large: 17 MiB of task data, above the 16 MiB this "
        "service takes; it was not run",
        "kind": "input",
        "retry": "useless",
    }
    assert "1.5 MiB of task data, above the 1000 bytes" in str(too_large(3 << 19, 1000).data)
