"""The first generation's messages (v0.1 to v0.9, ``api.Service`` and ``api.Core``) made from
the stand-in's model: pure translation, no I/O."""

from __future__ import annotations

from ..mesg.protocol.core_pb2 import EventData, ResultData
from ..mesg.protocol.service_pb2 import TaskData
from ._model import Event, Snapshot


def task_data(item: Snapshot | bytes) -> TaskData | bytes:
    """``TaskData`` of a new execution; raw bytes (a fault's) pass as they are."""
    if isinstance(item, bytes):
        return item
    execution = item.execution
    return TaskData(
        executionID=execution.id, taskKey=execution.task_key, inputData=execution.input_data
    )


def result_data(item: Snapshot) -> ResultData:
    result = item.result
    assert result is not None  # result listeners only get answered executions
    return ResultData(
        executionID=result.execution_id,
        taskKey=result.task_key,
        outputKey=result.output_key,
        outputData=result.output_data,
        executionTags=result.tags,
    )


def event_data(event: Event) -> EventData:
    return EventData(eventKey=event.key, eventData=event.data_text)
