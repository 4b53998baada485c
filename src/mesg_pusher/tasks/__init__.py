"""The service's tasks, ``trigger`` and ``triggerBatch``: inputs in, exactly one output out."""

from ._inputs import Limits
from ._service import ERROR, SUCCESS, Output, TaskRunner

__all__ = ["ERROR", "SUCCESS", "Limits", "Output", "TaskRunner"]
