"""The second generation's messages (v0.10.0 to v0.10.1, ``api.Service`` and ``api.Core`` with
hex execution hashes and one output per task) made from the stand-in's model: pure translation,
no I/O."""

from __future__ import annotations

from ..mesg.protocol.v0_10_pb2 import EventData, ResultData, TaskData
from ._model import Event, Snapshot


def task_data(item: Snapshot) -> TaskData:
    execution = item.execution
    return TaskData(
        executionHash=execution.id, taskKey=execution.task_key, inputData=execution.input_data
    )


def result_data(item: Snapshot) -> ResultData:
    """A finished execution: its outputs as JSON, or ``null`` (Go's encoding of no outputs)
    with its error."""
    result = item.result
    assert result is not None  # result listeners only get answered executions
    return ResultData(
        executionHash=result.execution_id,
        taskKey=result.task_key,
        outputData=result.output_data if result.error is None else "null",
        executionTags=result.tags,
        error=result.error or "",
    )


def event_data(event: Event) -> EventData:
    return EventData(eventKey=event.key, eventData=event.data_text)
