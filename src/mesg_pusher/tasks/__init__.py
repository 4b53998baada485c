"""The service's tasks: inputs in, exactly one output out.

Each task's `Implementation` is a declaration (`ApiTask` for one call to Pusher's HTTP API,
`LocalTask` for an answer made here) in the module of its kind, listed in `TASKS`; `TaskRunner`
runs any of them and answers with one `TaskOutput`.
"""

from ._catalog import TASKS
from ._cli import add_commands
from ._environment import ServiceEnvironment
from ._inputs import Limits
from ._outputs import ERROR, SUCCESS, TaskOutput, checked, defect, problem_with
from ._runner import TaskRunner
from ._task import ApiTask, Call, Context, Implementation, LocalTask, SignedMembers

__all__ = [
    "ERROR",
    "SUCCESS",
    "TASKS",
    "ApiTask",
    "Call",
    "Context",
    "Implementation",
    "Limits",
    "LocalTask",
    "ServiceEnvironment",
    "SignedMembers",
    "TaskOutput",
    "TaskRunner",
    "add_commands",
    "checked",
    "defect",
    "problem_with",
]
