"""Outputs checked against mesg.yml before submission, in the engine's words."""

from __future__ import annotations

from mesg_pusher.mesg import load, load_packaged
from mesg_pusher.runtime import checked, problem_with
from mesg_pusher.runtime._outputs import (
    NOT_STARTED,
    STOPPED,
    overloaded,
    refused_by_engine,
    too_large,
)
from mesg_pusher.tasks import Output

DEFINITION = load_packaged()


def test_the_tasks_own_outputs_pass() -> None:
    for task in ("trigger", "triggerBatch"):
        answers = (STOPPED, NOT_STARTED, overloaded(1, 2), too_large(17 << 20, 16 << 20))
        for output in (Output.success(), Output.error("x"), *answers):
            assert checked(DEFINITION, task, output) is output


def test_an_undeclared_output_becomes_a_valid_error_output() -> None:
    answer = checked(DEFINITION, "trigger", Output("done", {"message": "x"}))
    assert answer.key == "error"
    assert answer.data["error"] == (
        "the service produced an output the engine would refuse: Output 'done' of task "
        "'trigger' not found in service 'mesg-pusher'"
    )
    assert problem_with(DEFINITION, "trigger", answer) is None


def test_invalid_output_data_is_reported_with_the_engines_rules() -> None:
    answer = checked(DEFINITION, "triggerBatch", Output("success", {"message": 3}))
    assert answer.data["error"].endswith(
        "Outputs 'success' of task 'triggerBatch' are invalid. Value of 'message' is not a string"
    )
    answer = checked(DEFINITION, "trigger", Output("error", {}))
    assert answer.data["error"].endswith("Value of 'error' is required")


def test_a_task_unknown_to_mesg_yml_has_nothing_to_check() -> None:
    output = Output.error("Task 'x' not found")
    assert checked(DEFINITION, "x", output) is output


def test_only_declared_parameters_are_checked() -> None:
    definition = load(
        "name: s\ntasks:\n  t:\n    outputs:\n      success:\n        data:\n"
        "          message: {type: String}\n          count: {type: Number, optional: true}\n"
    )
    assert problem_with(definition, "t", Output("success", {"message": "m", "extra": 1})) is None
    assert problem_with(definition, "t", Output("success", {"message": "m", "count": "1"})) == (
        "Outputs 'success' of task 't' are invalid. Value of 'count' is not a number"
    )


def test_an_output_the_engine_refused_is_replaced_once() -> None:
    replacement = refused_by_engine(Output.success(), "Outputs 'success' ... invalid")
    assert replacement == Output.error(
        "the engine refused the success output: Outputs 'success' ... invalid"
    )
    assert refused_by_engine(Output.error("x"), "nope") is None


def test_too_large_names_the_size_and_the_limit() -> None:
    assert too_large(17_825_792, 16_777_216).data == {
        "error": "the execution is too large: 17 MiB of task data, above the 16 MiB this "
        "service takes; it was not run"
    }
    assert "1.5 MiB of task data, above the 1000 bytes" in str(too_large(3 << 19, 1000).data)
