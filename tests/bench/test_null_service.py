"""The null service's answers, made without protobuf, are the messages protobuf would make."""

from __future__ import annotations

from bench._null_service import OUTPUT_DATA, OUTPUT_KEY, answer_for
from mesg_pusher.mesg.protocol.service_pb2 import SubmitResultRequest, TaskData


def _expected(execution_id: str) -> bytes:
    return SubmitResultRequest(
        executionID=execution_id, outputKey=OUTPUT_KEY, outputData=OUTPUT_DATA
    ).SerializeToString()


def test_a_digest_id_lends_its_field_as_it_is() -> None:
    task = TaskData(executionID="a" * 40, taskKey="trigger", inputData='{"x":1}')
    assert answer_for(task.SerializeToString()) == _expected("a" * 40)


def test_a_long_id_goes_through_protobuf() -> None:
    # The v0.1-v0.3 id joins the time, service, task and inputs: well past one length byte.
    joined = '2026-12-01 09:25:41.1 +0000 UTC.pusher.trigger.{"appId":"1","secret":"' + "s" * 200
    task = TaskData(executionID=joined, taskKey="trigger", inputData="{}")
    answer = SubmitResultRequest.FromString(answer_for(task.SerializeToString()))
    assert (answer.executionID, answer.outputKey, answer.outputData) == (
        joined,
        OUTPUT_KEY,
        OUTPUT_DATA,
    )


def test_a_message_not_opening_with_its_id_goes_through_protobuf() -> None:
    # Fields in another order are still one message to protobuf.
    task = (
        TaskData(taskKey="trigger").SerializeToString()
        + TaskData(executionID="b" * 40).SerializeToString()
    )
    assert answer_for(task) == _expected("b" * 40)
