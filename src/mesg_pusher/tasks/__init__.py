"""The service's tasks, ``trigger`` and ``triggerBatch``: inputs in, exactly one output out."""

from ._inputs import Limits
from ._outputs import ERROR, SUCCESS, Output, checked, defect, problem_with
from ._runner import TaskRunner

__all__ = [
    "ERROR",
    "SUCCESS",
    "Limits",
    "Output",
    "TaskRunner",
    "checked",
    "defect",
    "problem_with",
]
