"""The service's tasks: inputs in, exactly one output out.

Each task's `Implementation` is a declaration (`ApiTask` for calls to Pusher's HTTP API,
`LocalTask` for an answer made here) in the module of its kind, listed in `TASKS`; `TaskRunner`
runs any of them and answers with one `TaskOutput`. An ``error`` output says its `Kind` and
whether a retry is safe (`Retry`), as `classify` decides.
"""

from ._catalog import TASKS
from ._cli import add_commands
from ._environment import WEBHOOK_APPS_VARIABLE, ServiceEnvironment
from ._failures import (
    DEFECT_FAILURE,
    INPUT_FAILURE,
    NOT_STARTED_FAILURE,
    OVERLOADED_FAILURE,
    Failure,
    Kind,
    Retry,
    classify,
    stopped_failure,
)
from ._inputs import IDEMPOTENCY_KEY, Limits
from ._outputs import ERROR, SUCCESS, TaskOutput, checked, defect, problem_with
from ._runner import TaskRunner
from ._task import ApiTask, Call, Context, Implementation, LocalTask, SignedMembers, Split

__all__ = [
    "DEFECT_FAILURE",
    "ERROR",
    "IDEMPOTENCY_KEY",
    "INPUT_FAILURE",
    "NOT_STARTED_FAILURE",
    "OVERLOADED_FAILURE",
    "SUCCESS",
    "TASKS",
    "WEBHOOK_APPS_VARIABLE",
    "ApiTask",
    "Call",
    "Context",
    "Failure",
    "Implementation",
    "Kind",
    "Limits",
    "LocalTask",
    "Retry",
    "ServiceEnvironment",
    "SignedMembers",
    "Split",
    "TaskOutput",
    "TaskRunner",
    "add_commands",
    "checked",
    "classify",
    "defect",
    "problem_with",
    "stopped_failure",
]
