"""The service's tasks: inputs in, exactly one output out.

Each task is a declaration (`ApiTask` for one call to Pusher's HTTP API, `LocalTask` for an
answer made here) in the module of its kind, listed in `TASKS`; `TaskRunner` runs any of them.
"""

from ._catalog import TASKS
from ._environment import ServiceEnvironment
from ._inputs import Limits
from ._outputs import ERROR, SUCCESS, Output, checked, defect, problem_with
from ._runner import TaskRunner
from ._task import ApiTask, Call, Context, LocalTask, Task

__all__ = [
    "ERROR",
    "SUCCESS",
    "TASKS",
    "ApiTask",
    "Call",
    "Context",
    "Limits",
    "LocalTask",
    "Output",
    "ServiceEnvironment",
    "Task",
    "TaskRunner",
    "checked",
    "defect",
    "problem_with",
]
