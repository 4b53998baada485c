"""Reading the task stream's messages without letting a bad one end the stream.

gRPC hands a message its deserializer cannot read on as None, and the stream then fails. So the
stream is read with `read_task`, which never raises: a message protobuf cannot decode (a string
field that is not UTF-8) becomes an `Undecodable`, which keeps what can still be read of it, its
execution id and task key when those are UTF-8, so that the execution can be answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from google.protobuf.message import DecodeError

from ..mesg.protocol.service_pb2 import TaskData

#: TaskData's fields by number (all strings, so length-delimited on the wire).
FIELDS: Final = {1: "executionID", 2: "taskKey", 3: "inputData"}
_LENGTH_DELIMITED: Final = 2
_FIXED: Final = {1: 8, 5: 4}  # wire types of fixed size: their bytes


@dataclass(frozen=True, slots=True)
class Undecodable:
    """A task message protobuf could not decode. `execution_id` and `task_key` are None when
    they cannot be read either; `problem` says what is wrong, naming fields only."""

    size: int
    execution_id: str | None
    task_key: str | None
    problem: str


def read_task(data: bytes) -> TaskData | Undecodable:
    """The stream's deserializer: the message, or what can be read of it."""
    try:
        return TaskData.FromString(data)
    except DecodeError:
        return salvage(data)


def salvage(data: bytes) -> Undecodable:
    """What can be read of a task message protobuf refused."""
    fields = _string_fields(data)
    if fields is None:
        return Undecodable(len(data), None, None, "it is not a protobuf message")
    texts: dict[str, str] = {}
    broken: list[str] = []
    for number, name in FIELDS.items():
        raw = fields.get(number, b"")
        try:
            texts[name] = raw.decode("utf-8")
        except UnicodeDecodeError:
            broken.append(name)
    problem = (
        f"its {' and '.join(broken)} {'is' if len(broken) == 1 else 'are'} not valid UTF-8"
        if broken
        else "protobuf could not decode it"
    )
    return Undecodable(len(data), texts.get("executionID"), texts.get("taskKey"), problem)


def _string_fields(data: bytes) -> dict[int, bytes] | None:
    """TaskData's string fields as raw bytes (the last of each wins, as in protobuf), or None
    when `data` is not protobuf's wire format."""
    found: dict[int, bytes] = {}
    at = 0
    while at < len(data):
        tag, at = _varint(data, at)
        if tag is None:
            return None
        number, wire_type = tag >> 3, tag & 7
        if wire_type == _LENGTH_DELIMITED:
            length, at = _varint(data, at)
            if length is None or at + length > len(data):
                return None
            if number in FIELDS:
                found[number] = data[at : at + length]
            at += length
        elif wire_type == 0:
            value, at = _varint(data, at)
            if value is None:
                return None
        elif wire_type in _FIXED:
            at += _FIXED[wire_type]
            if at > len(data):
                return None
        else:
            return None
    return found


def _varint(data: bytes, at: int) -> tuple[int | None, int]:
    value = shift = 0
    while at < len(data) and shift < 64:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7
    return None, at
