"""The answers the service gives without a task's own output: an execution stopped or never
started by a stop, refused for its size, its unreadable message or for overload, whose output
the engine refused, or held back by an idempotencyKey the store cannot guard (kind and retry
as the error output declares them)."""

from __future__ import annotations

from typing import Final

from ..tasks import ERROR, TaskOutput

STOPPED: Final = TaskOutput.error(
    "the service stopped before the execution finished (grace period over); "
    "it may or may not have been published"
)
#: For an execution still waiting for a slot when the service stopped.
NOT_STARTED: Final = TaskOutput.error(
    "the service stopped before running this execution (grace period over); nothing was published"
)
_MIB = 1024 * 1024


def too_large(size: int, limit: int) -> TaskOutput:
    """The answer for an execution whose TaskData (`size` bytes) is above `limit` bytes."""
    return TaskOutput.error(
        f"the execution is too large: {_mebibytes(size)} of task data, above the "
        f"{_mebibytes(limit)} this service takes; it was not run"
    )


def undecodable(problem: str) -> TaskOutput:
    """The answer for an execution whose task message protobuf cannot decode (`problem` names
    the fields at fault, never their contents)."""
    return TaskOutput.error(f"the task message cannot be decoded: {problem}; it was not run")


def _mebibytes(size: int) -> str:
    if size % _MIB == 0:
        return f"{size // _MIB} MiB"
    if size >= _MIB:
        return f"{size / _MIB:.1f} MiB"
    return f"{size} bytes"


def overloaded(in_flight: int, waiting: int) -> TaskOutput:
    """The answer for an execution refused at once because every slot and queue place is taken."""
    return TaskOutput.error(
        f"the service is overloaded ({in_flight} executions in flight and {waiting} waiting); "
        "the execution was not run, try again later"
    )


def refused_by_engine(output: TaskOutput, message: str) -> TaskOutput | None:
    """The answer to try once the engine refused `output` with `message`: the ``error`` output
    saying so, or None when `output` already was an ``error`` output (nothing better to send)."""
    if output.key == ERROR:
        return None
    return TaskOutput.error(f"the engine refused the {output.key} output: {message}")


def store_unavailable(reason: str) -> TaskOutput:
    """The answer for an execution with an idempotencyKey while the store that remembers keys
    cannot be reached: nothing was published, so a retry is safe."""
    return TaskOutput(
        ERROR,
        {
            "error": f"{reason}; the execution has an idempotencyKey, so it was not run and "
            "nothing was published",
            "kind": "network",
            "retry": "safe",
        },
    )


def keys_full(reason: str) -> TaskOutput:
    """The answer for an execution with a new idempotencyKey while the memory of keys is full."""
    return TaskOutput(
        ERROR,
        {
            "error": f"the service is overloaded: {reason}; the execution was not run and "
            "nothing was published, try again later",
            "kind": "overloaded",
            "retry": "safe",
        },
    )
