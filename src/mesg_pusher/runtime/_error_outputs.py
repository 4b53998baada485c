"""The answers the service gives without a task's own output: an execution stopped or never
started by a stop, refused for its size, its unreadable message or for overload, whose output
the engine refused, or held back by an idempotencyKey the store cannot guard. Each says its kind
and whether a retry is safe, as a task's own ``error`` outputs do (`mesg_pusher.tasks.Failure`)."""

from __future__ import annotations

from typing import Final

from ..tasks import (
    DEFECT_FAILURE,
    ERROR,
    INPUT_FAILURE,
    NOT_STARTED_FAILURE,
    OVERLOADED_FAILURE,
    Failure,
    Kind,
    Retry,
    TaskOutput,
    stopped_failure,
)

#: An execution with a key not run because the store could not be reached: nothing was sent.
STORE_FAILURE: Final = Failure(Kind.NETWORK, Retry.SAFE)

_STOPPED_TEXT: Final = (
    "the service stopped before the execution finished (grace period over); "
    "it may or may not have been published"
)
#: For an execution still waiting for a slot when the service stopped.
NOT_STARTED: Final = TaskOutput.error(
    "the service stopped before running this execution (grace period over); nothing was published",
    NOT_STARTED_FAILURE,
)


def stopped_while_running(*, publishes: bool) -> TaskOutput:
    """The answer for an execution stopped while it ran: it may have published, if its task
    `publishes`."""
    return TaskOutput.error(_STOPPED_TEXT, stopped_failure(publishes=publishes))


_MIB = 1024 * 1024


def too_large(size: int, limit: int) -> TaskOutput:
    """The answer for an execution whose TaskData (`size` bytes) is above `limit` bytes."""
    return TaskOutput.error(
        f"the execution is too large: {_mebibytes(size)} of task data, above the "
        f"{_mebibytes(limit)} this service takes; it was not run",
        INPUT_FAILURE,
    )


def undecodable(problem: str) -> TaskOutput:
    """The answer for an execution whose task message protobuf cannot decode (`problem` names
    the fields at fault, never their contents)."""
    return TaskOutput.error(
        f"the task message cannot be decoded: {problem}; it was not run", INPUT_FAILURE
    )


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
        "the execution was not run, try again later",
        OVERLOADED_FAILURE,
    )


def refused_by_engine(output: TaskOutput, message: str) -> TaskOutput | None:
    """The answer to try once the engine refused `output` with `message`: the ``error`` output
    saying so, or None when `output` already was an ``error`` output (nothing better to send)."""
    if output.key == ERROR:
        return None
    return TaskOutput.error(
        f"the engine refused the {output.key} output: {message}", DEFECT_FAILURE
    )


def store_unavailable(reason: str) -> TaskOutput:
    """The answer for an execution with an idempotencyKey while the store that remembers keys
    cannot be reached: nothing was published, so a retry is safe."""
    return TaskOutput.error(
        f"{reason}; the execution has an idempotencyKey, so it was not run and nothing was "
        "published",
        STORE_FAILURE,
    )


def keys_full(reason: str) -> TaskOutput:
    """The answer for an execution with a new idempotencyKey while the memory of keys is full."""
    return TaskOutput.error(
        f"the service is overloaded: {reason}; the execution was not run and nothing was "
        "published, try again later",
        OVERLOADED_FAILURE,
    )
