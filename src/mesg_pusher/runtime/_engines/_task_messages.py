"""Reading the task stream's messages without letting a bad one end the stream, whatever the
generation: a message is read into a `TaskMessage` and never raises.

gRPC hands a message its deserializer cannot read on as None, and the stream then fails. So
every stream is read with a deserializer of ours: a message protobuf cannot decode (a string
field that is not UTF-8, a broken Struct) is `salvage`\\ d, keeping what can still be read of it
(its execution id and task key, when those can be read) so that the execution can be answered.
`Fields` says where a generation's message holds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ...mesg.protocol import b58encode
from .._engine_api import TaskMessage

_LENGTH_DELIMITED: Final = 2
_FIXED: Final = {1: 8, 5: 4}  # wire types of fixed size: their bytes


@dataclass(frozen=True, slots=True)
class Fields:
    """Where a task message holds the execution's id, its task key and its inputs: (number,
    name) each; `raw_id`: the id is a hash's raw bytes, shown in base58; `text_inputs`: the
    inputs are a text (JSON), not a message (a Struct)."""

    id: tuple[int, str]
    task_key: tuple[int, str]
    inputs: tuple[int, str]
    raw_id: bool = False
    text_inputs: bool = True


#: G1's TaskData; G2's has the same numbers.
TASK_DATA: Final = Fields((1, "executionID"), (2, "taskKey"), (3, "inputData"))
TASK_DATA_V010: Final = Fields((1, "executionHash"), (2, "taskKey"), (3, "inputData"))


def execution_fields(raw_id: bool, text_inputs: bool = False) -> Fields:
    """From G3: ``types.Execution``."""
    return Fields((1, "hash"), (6, "taskKey"), (7, "inputs"), raw_id, text_inputs)


def salvage(data: bytes, fields: Fields) -> TaskMessage:
    """What can be read of a task message protobuf refused (a message with a problem)."""
    found = _fields(data, {fields.id[0], fields.task_key[0], fields.inputs[0]})
    if found is None:
        return TaskMessage(len(data), None, None, None, "it is not a protobuf message")
    texts: dict[int, str] = {}
    broken: list[str] = []
    texts_read = (fields.id, fields.task_key, fields.inputs)
    for number, name in texts_read if fields.text_inputs else texts_read[:2]:
        raw = found.get(number, b"")
        if number == fields.id[0] and fields.raw_id:
            texts[number] = b58encode(raw) if raw else ""
            continue
        try:
            texts[number] = raw.decode("utf-8")
        except UnicodeDecodeError:
            broken.append(name)
    problem = (
        f"its {' and '.join(broken)} {'is' if len(broken) == 1 else 'are'} not valid UTF-8"
        if broken
        else "protobuf could not decode it"
    )
    return TaskMessage(
        len(data), texts.get(fields.id[0]), texts.get(fields.task_key[0]), None, problem
    )


def length_delimited(data: bytes, number: int) -> bytes | None:
    """The bytes of field `number` of a message (the last one wins, as in protobuf); None when
    it is absent or `data` is not protobuf's wire format."""
    found = _fields(data, {number})
    return None if found is None else found.get(number)


def _fields(data: bytes, numbers: set[int]) -> dict[int, bytes] | None:
    """The length-delimited fields `numbers` as raw bytes (the last of each wins), or None when
    `data` is not protobuf's wire format."""
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
            if number in numbers:
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
