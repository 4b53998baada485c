"""A task's answer, and the two ways an answer is made safe to submit: checked against mesg.yml
with the engine's own rules (so the engine never has a reason to refuse it), and, for a defect
of ours, the one ``error`` output that says so.

Every ``error`` output says what failed and whether trying again is safe (`Failure`, decided by
`_failures.classify`); `TaskOutput.error_text` writes it as one text for the engines whose
errors are text only.

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
from ._failures import DEFECT_FAILURE, Failure

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
    def error(
        cls,
        message: str,
        failure: Failure,
        *,
        published: int | None = None,
        data_bytes: int | None = None,
    ) -> TaskOutput:
        """The ``error`` output: `message`, the failure's kind, retry and status, and for a
        split execution the count of what its earlier calls `published`; for a 413, the size of
        the largest event data that was sent (`data_bytes`)."""
        data: dict[str, Any] = {
            "error": message,
            "kind": failure.kind.value,
            "retry": failure.retry.value,
        }
        if failure.status is not None:
            data["status"] = failure.status
        if published is not None:
            data["published"] = published
        if data_bytes is not None:
            data["dataBytes"] = data_bytes
        return cls(ERROR, data)

    def error_text(self) -> str:
        """The ``error`` output as one text, for engines whose errors are text only (v0.10 and
        later): its kind first, then the message, then what else it says, like
        ``timeout: request to ... timed out after 500 ms (retry: unsafe)`` or
        ``server: Pusher answered 500 ... (retry: unsafe, status: 500, published: 20)``."""
        if self.key != ERROR:
            raise ValueError(f"the {self.key} output is no error")
        data = self.data
        details = ", ".join(
            f"{name}: {data[name]}" for name in _TEXT_DETAILS if data.get(name) is not None
        )
        return f"{data.get('kind', 'defect')}: {data.get('error', '')} ({details})"

    def json(self) -> str:
        return dumps(self.data)


#: What `TaskOutput.error_text` adds after the message, in this order.
_TEXT_DETAILS: Final = ("retry", "status", "published", "dataBytes")


def defect(task_key: str, error: BaseException) -> TaskOutput:
    """The answer to an execution that a defect of ours broke, and the trace it leaves: only the
    error's kind and place, since its text can quote an input, a secret too."""
    log.error(
        "task %s failed unexpectedly: %s at %s", task_key, type(error).__name__, _origin(error)
    )
    return TaskOutput.error(
        f"internal error in task {task_key}: {type(error).__name__}", DEFECT_FAILURE
    )


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
    return TaskOutput.error(
        f"the service produced an output the engine would refuse: {problem}", DEFECT_FAILURE
    )
