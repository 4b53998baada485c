"""Outputs checked against mesg.yml before they are submitted, with the engine's own rules, so
the engine never has a reason to reject one.

An output the task does not declare, or whose data breaks its declared parameters, is a defect
of ours; it becomes the ``error`` output saying so, which is itself valid.
"""

from __future__ import annotations

from typing import Final

from ..mesg import ServiceDefinition, validate
from ..tasks import ERROR, Output

STOPPED: Final = Output.error(
    "the service stopped before the execution finished (grace period over); "
    "it may or may not have been published"
)
#: For an execution still waiting for a slot when the service stopped.
NOT_STARTED: Final = Output.error(
    "the service stopped before running this execution (grace period over); nothing was published"
)
_MIB = 1024 * 1024


def too_large(size: int, limit: int) -> Output:
    """The answer for an execution whose TaskData (`size` bytes) is above `limit` bytes."""
    return Output.error(
        f"the execution is too large: {_mebibytes(size)} of task data, above the "
        f"{_mebibytes(limit)} this service takes; it was not run"
    )


def _mebibytes(size: int) -> str:
    if size % _MIB == 0:
        return f"{size // _MIB} MiB"
    if size >= _MIB:
        return f"{size / _MIB:.1f} MiB"
    return f"{size} bytes"


def overloaded(in_flight: int, waiting: int) -> Output:
    """The answer for an execution refused at once because every slot and queue place is taken."""
    return Output.error(
        f"the service is overloaded ({in_flight} executions in flight and {waiting} waiting); "
        "the execution was not run, try again later"
    )


def problem_with(definition: ServiceDefinition, task_key: str, output: Output) -> str | None:
    """What the engine would say against `output` of task `task_key`, or None when it passes.

    A task mesg.yml does not know has no outputs to check against: None.
    """
    task = definition.tasks.get(task_key)
    if task is None:
        return None
    declared = task.outputs.get(output.key)
    if declared is None:
        return (
            f"Output '{output.key}' of task '{task_key}' not found in service '{definition.name}'"
        )
    problems = validate(declared.data, output.data)
    if not problems:
        return None
    details = ". ".join(f"Value of '{key}' {problem}" for key, problem in problems)
    return f"Outputs '{output.key}' of task '{task_key}' are invalid. {details}"


def checked(definition: ServiceDefinition, task_key: str, output: Output) -> Output:
    """`output` when mesg.yml accepts it, else the ``error`` output explaining why not."""
    problem = problem_with(definition, task_key, output)
    if problem is None:
        return output
    return Output.error(f"the service produced an output the engine would refuse: {problem}")


def refused_by_engine(output: Output, message: str) -> Output | None:
    """The answer to try once the engine refused `output` with `message`: the ``error`` output
    saying so, or None when `output` already was an ``error`` output (nothing better to send)."""
    if output.key == ERROR:
        return None
    return Output.error(f"the engine refused the {output.key} output: {message}")
