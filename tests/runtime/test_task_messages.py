"""Task messages protobuf cannot decode are read as far as they can be, never raising, in every
generation's form."""

from __future__ import annotations

from mesg_pusher.engine import messages
from mesg_pusher.mesg import b58encode
from mesg_pusher.mesg.protocol.service_pb2 import TaskData
from mesg_pusher.runtime._engine_api import TaskMessage
from mesg_pusher.runtime._engines._task_messages import execution_fields, salvage
from mesg_pusher.runtime._engines._wire import read_g1_task, read_g2_task


def test_a_good_message_is_decoded() -> None:
    data = TaskData(executionID="e", taskKey="trigger", inputData="{}").SerializeToString()
    assert read_g1_task(data) == TaskMessage(len(data), "e", "trigger", "{}")


def test_a_field_that_is_not_utf8_is_named_and_the_others_kept() -> None:
    data = messages.task_data_bytes(b"e 1", b"trigger", b'{"a": "\xff"}')
    assert read_g1_task(data) == TaskMessage(
        len(data), "e 1", "trigger", None, "its inputData is not valid UTF-8"
    )
    data = messages.task_data_bytes(b"\xc3(", b"\xff", b"{}")
    assert read_g1_task(data) == TaskMessage(
        len(data), None, None, None, "its executionID and taskKey are not valid UTF-8"
    )
    assert read_g2_task(data).problem == "its executionHash and taskKey are not valid UTF-8"


def test_bytes_that_are_no_message_at_all() -> None:
    for data in (b"\x0a\xff", b"\x0a\x05ab", b"\x0f", b"\xff" * 20):
        for read in (read_g1_task, read_g2_task):
            found = read(data)
            assert found.problem is not None
            assert found.execution_id is None


def test_an_execution_with_a_raw_hash_is_named_in_base58() -> None:
    raw = bytes(range(32))
    # hash (1) raw, taskKey (6) not UTF-8
    data = b"\x0a\x20" + raw + b"\x32\x01\xff"
    found = salvage(data, execution_fields(raw_id=True))
    assert found == TaskMessage(
        len(data), b58encode(raw), None, None, ("its taskKey is not valid UTF-8")
    )
