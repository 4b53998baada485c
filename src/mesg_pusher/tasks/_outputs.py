"""A task's answer, and the two ways an answer is made safe to submit: checked against mesg.yml
with the engine's own rules (so the engine never has a reason to refuse it), and, for a defect
of ours, the one ``error`` output that says so.

An output the task does not declare, or whose data breaks its declared parameters, is a defect
of ours; it becomes the ``error`` output saying so, which is itself valid.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from .._json import dumps
from ..mesg import ServiceDefinition, validate, words

log = logging.getLogger("mesg_pusher.tasks")

SUCCESS: Final = "success"
ERROR: Final = "error"
SENT: Final = "sent"


@dataclass(frozen=True, slots=True)
class TaskOutput:
    """A task's answer: the output key and its data, as mesg.yml declares them."""

    key: str
    data: Mapping[str, Any]

    @classmethod
    def success(cls, message: str = SENT) -> TaskOutput:
        return cls(SUCCESS, {"message": message})

    @classmethod
    def error(cls, message: str) -> TaskOutput:
        return cls(ERROR, {"error": message})

    def json(self) -> str:
        return dumps(self.data)


def defect(task_key: str, error: BaseException) -> TaskOutput:
    """The answer to an execution that a defect of ours broke, and the trace it leaves: only the
    error's kind and place, since its text can quote an input, a secret too."""
    log.error(
        "task %s failed unexpectedly: %s at %s", task_key, type(error).__name__, _origin(error)
    )
    return TaskOutput.error(f"internal error in task {task_key}: {type(error).__name__}")


def _origin(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "an unknown place"
    last = frames[-1]
    return f"{Path(last.filename).name}:{last.lineno} in {last.name}"


def problem_with(definition: ServiceDefinition, task_key: str, output: TaskOutput) -> str | None:
    """What the engine would say against `output` of task `task_key`, or None when it passes.

    A task mesg.yml does not know has no outputs to check against: None.
    """
    task = definition.tasks.get(task_key)
    if task is None:
        return None
    declared = task.outputs.get(output.key)
    if declared is None:
        return words.OUTPUT_NOT_FOUND.format(
            output=output.key, task=task_key, service=definition.name
        )
    problems = validate(declared.data, output.data)
    if not problems:
        return None
    return words.outputs_invalid(output.key, task_key, problems)


def checked(definition: ServiceDefinition, task_key: str, output: TaskOutput) -> TaskOutput:
    """`output` when mesg.yml accepts it, else the ``error`` output explaining why not."""
    problem = problem_with(definition, task_key, output)
    if problem is None:
        return output
    return TaskOutput.error(f"the service produced an output the engine would refuse: {problem}")
