"""Task messages protobuf cannot decode are read as far as they can be, never raising."""

from __future__ import annotations

from mesg_pusher.engine import messages
from mesg_pusher.mesg.protocol.service_pb2 import TaskData
from mesg_pusher.runtime._task_messages import Undecodable, read_task


def test_a_good_message_is_decoded() -> None:
    message = TaskData(executionID="e", taskKey="trigger", inputData="{}")
    assert read_task(message.SerializeToString()) == message


def test_a_field_that_is_not_utf8_is_named_and_the_others_kept() -> None:
    data = messages.task_data_bytes(b"e 1", b"trigger", b'{"a": "\xff"}')
    assert read_task(data) == Undecodable(
        len(data), "e 1", "trigger", "its inputData is not valid UTF-8"
    )
    data = messages.task_data_bytes(b"\xc3(", b"\xff", b"{}")
    assert read_task(data) == Undecodable(
        len(data), None, None, "its executionID and taskKey are not valid UTF-8"
    )


def test_bytes_that_are_no_message_at_all() -> None:
    for data in (b"\x0a\xff", b"\x0a\x05ab", b"\x0f", b"\xff" * 20):
        found = read_task(data)
        assert isinstance(found, Undecodable)
        assert found.execution_id is None
