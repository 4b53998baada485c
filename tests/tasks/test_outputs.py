"""Outputs checked against mesg.yml before submission, in the engine's words."""

from __future__ import annotations

from mesg_pusher.mesg import load, load_packaged
from mesg_pusher.tasks import INPUT_FAILURE, TaskOutput, checked, problem_with

DEFINITION = load_packaged()


def test_an_undeclared_output_becomes_a_valid_error_output() -> None:
    answer = checked(DEFINITION, "trigger", TaskOutput("done", {"message": "x"}))
    assert answer.key == "error"
    assert answer.data["error"] == (
        "the service produced an output the engine would refuse: Output 'done' of task "
        "'trigger' not found in service 'mesg-pusher'"
    )
    assert problem_with(DEFINITION, "trigger", answer) is None


def test_invalid_output_data_is_reported_with_the_engines_rules() -> None:
    answer = checked(DEFINITION, "triggerBatch", TaskOutput("success", {"message": 3}))
    assert answer.data["error"].endswith(
        "Outputs 'success' of task 'triggerBatch' are invalid. Value of 'message' is not a string"
    )
    answer = checked(DEFINITION, "trigger", TaskOutput("error", {}))
    assert answer.data["error"].endswith(
        "Value of 'error' is required. Value of 'kind' is required. Value of 'retry' is required"
    )
    assert (answer.data["kind"], answer.data["retry"]) == ("defect", "useless")


def test_a_task_unknown_to_mesg_yml_has_nothing_to_check() -> None:
    output = TaskOutput.error("Task 'x' not found", INPUT_FAILURE)
    assert checked(DEFINITION, "x", output) is output


def test_only_declared_parameters_are_checked() -> None:
    definition = load(
        "name: s\ntasks:\n  t:\n    outputs:\n      success:\n        data:\n"
        "          message: {type: String}\n          count: {type: Number, optional: true}\n"
    )
    assert (
        problem_with(definition, "t", TaskOutput("success", {"message": "m", "extra": 1})) is None
    )
    assert problem_with(definition, "t", TaskOutput("success", {"message": "m", "count": "1"})) == (
        "Outputs 'success' of task 't' are invalid. Value of 'count' is not a number"
    )
