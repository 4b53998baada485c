"""The answers serve gives without a task's own output, each one valid under mesg.yml."""

from __future__ import annotations

from mesg_pusher.mesg import load_packaged
from mesg_pusher.runtime._error_outputs import (
    NOT_STARTED,
    STOPPED,
    overloaded,
    refused_by_engine,
    too_large,
)
from mesg_pusher.tasks import TaskOutput, checked

DEFINITION = load_packaged()


def test_the_tasks_own_outputs_pass() -> None:
    for task in ("trigger", "triggerBatch"):
        answers = (STOPPED, NOT_STARTED, overloaded(1, 2), too_large(17 << 20, 16 << 20))
        for output in (TaskOutput.success(), TaskOutput.error("x"), *answers):
            assert checked(DEFINITION, task, output) is output


def test_an_output_the_engine_refused_is_replaced_once() -> None:
    replacement = refused_by_engine(TaskOutput.success(), "Outputs 'success' ... invalid")
    assert replacement == TaskOutput.error(
        "the engine refused the success output: Outputs 'success' ... invalid"
    )
    assert refused_by_engine(TaskOutput.error("x"), "nope") is None


def test_too_large_names_the_size_and_the_limit() -> None:
    assert too_large(17_825_792, 16_777_216).data == {
        "error": "the execution is too large: 17 MiB of task data, above the 16 MiB this "
        "service takes; it was not run"
    }
    assert "1.5 MiB of task data, above the 1000 bytes" in str(too_large(3 << 19, 1000).data)
