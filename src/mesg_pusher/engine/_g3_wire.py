"""The messages of the Execution and Event APIs (G3 v0.11 to v0.16, and the ``mesg.types``
messages G4 and G5 kept) made from the stand-in's model and read back: pure translation, no
I/O.

A release's wire variant decides the form: hashes as base58 strings (v0.11 to v0.13) or raw
bytes (from v0.14), inputs, outputs and data as JSON object texts (v0.11) or Structs (from
v0.12), and which fields beyond the first twelve an execution carries (G4: its executor; v0.19:
its block height; v0.20: its emitters and address; v0.26: its start and stop).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import ModuleType
from typing import Any

from google.protobuf.message import Message
from google.protobuf.struct_pb2 import Struct

from ..mesg import b58encode
from ..mesg.protocol import Release, from_struct, to_struct, wire
from . import _hashes, _messages
from ._model import ALL, EngineError, Event, Snapshot, Status
from ._rules import NO_KIND


def messages(release: Release) -> ModuleType:
    return wire(release)


def hash_out(release: Release, raw: bytes) -> str | bytes:
    """A hash as the release sends it: raw bytes, or base58 (empty stays empty)."""
    if release.bytes_hashes:
        return raw
    return b58encode(raw) if raw else ""


def hash_in(release: Release, value: str | bytes) -> bytes:
    """A hash as the release reads it: bytes as they are; a string decoded (v0.11 to v0.13),
    or the engine's refusal."""
    if isinstance(value, bytes):
        return value
    return _hashes.decode_hash(value)


def execution_id(release: Release, value: str | bytes) -> str:
    """The stand-in's id of the execution a hash field names."""
    return b58encode(hash_in(release, value))


def data_out(release: Release, values: Mapping[str, Any] | None) -> str | Struct | None:
    """Inputs, outputs or event data as the release sends them: Go's JSON (``null`` for none),
    or a Struct (None: the field left unset)."""
    if release.json_text:
        return _messages.go_json(values)
    return to_struct(values) if values is not None else None


def data_in(release: Release, message: Message, name: str) -> dict[str, Any] | None:
    """Inputs, outputs or event data of a request (G3 Structs on): the JSON object the Struct
    means (a value of no kind becomes `NO_KIND`), None when the field is not set."""
    if not message.HasField(name):
        return None
    struct = getattr(message, name)
    assert isinstance(struct, Struct)
    return from_struct(struct, unset=NO_KIND)


def json_in(text: str) -> dict[str, Any]:
    """A JSON object text (v0.11) as Go reads it, or Go's refusal (callers wrap it)."""
    try:
        return _messages.decode_object(text)
    except _messages.GoJsonError as error:
        raise EngineError(str(error)) from None


def _set(message: Message, name: str, value: Any) -> None:
    if value is None or value in ("", b""):
        return
    if isinstance(value, Message):
        getattr(message, name).CopyFrom(value)
    else:
        setattr(message, name, value)


def execution_message(release: Release, item: Snapshot) -> Message:
    """``types.Execution`` of the release."""
    module = messages(release)
    execution, result = item.execution, item.result
    message: Message = module.Execution()
    _set(message, "hash", hash_out(release, execution.hash))
    _set(message, "eventHash", hash_out(release, _hashes.digest(b"event of", execution.hash)))
    message.status = item.status.value  # type: ignore[attr-defined]
    _set(message, "instanceHash", hash_out(release, execution.instance))
    _set(message, "taskKey", execution.task_key)
    _set(message, "inputs", data_out(release, execution.inputs))
    completed = result is not None and result.error is None
    outputs = result.data if completed and result is not None else None
    _set(message, "outputs", data_out(release, outputs))
    _set(message, "error", result.error if result is not None else None)
    message.tags.extend(execution.tags)  # type: ignore[attr-defined]
    fields = release.execution_fields
    if "executorHash" in fields:
        _set(message, "executorHash", execution.executor)
    if "blockHeight" in fields:
        _set(message, "blockHeight", execution.block)
    if "emitters" in fields:
        emitter = message.emitters.add()  # type: ignore[attr-defined]
        emitter.runnerHash = execution.executor
        emitter.blockHeight = execution.block
        _set(message, "address", _hashes.digest(b"address", execution.hash)[:20])
    if "start" in fields and result is not None:
        message.start = int(execution.created * 1e9)  # type: ignore[attr-defined]
        message.stop = int(result.finished * 1e9)  # type: ignore[attr-defined]
    return message


def event_message(release: Release, event: Event) -> Message:
    """``types.Event`` of the release."""
    message: Message = messages(release).Event()
    _set(message, "hash", hash_out(release, event.hash))
    _set(message, "instanceHash", hash_out(release, event.instance))
    _set(message, "key", event.key)
    _set(message, "data", data_out(release, event.data))
    return message


def execution_filter(release: Release, wanted: Message | None) -> Callable[[Snapshot], bool]:
    """Which executions a stream's filter takes (sdk/execution's Match): every set field must
    match, ``""`` and ``*`` are every task, any listed status, every listed tag. A hash that
    does not decode is refused (v0.11 to v0.13)."""
    if wanted is None:
        return lambda item: True
    statuses = {Status(number) for number in wanted.statuses if number in (2, 3, 4)}  # type: ignore[attr-defined]
    unknown_status = any(number not in (2, 3, 4) for number in wanted.statuses)  # type: ignore[attr-defined]
    instance = filter_hash(release, wanted, "instanceHash")
    executor = filter_hash(release, wanted, "executorHash")
    task: str = wanted.taskKey  # type: ignore[attr-defined]
    tags: Sequence[str] = tuple(wanted.tags)  # type: ignore[attr-defined]

    def wants(item: Snapshot) -> bool:
        execution = item.execution
        return (
            (not instance or execution.instance == instance)
            and (not executor or execution.executor == executor)
            and (task in ALL or task == execution.task_key)
            and (not (statuses or unknown_status) or item.status in statuses)
            and all(tag in execution.tags for tag in tags)
        )

    return wants


def event_filter(release: Release, wanted: Message | None) -> Callable[[Event], bool]:
    if wanted is None:
        return lambda event: True
    hash_ = filter_hash(release, wanted, "hash")
    instance = filter_hash(release, wanted, "instanceHash")
    key: str = wanted.key  # type: ignore[attr-defined]
    return lambda event: (
        (not hash_ or event.hash == hash_)
        and (not instance or event.instance == instance)
        and (key in ALL or key == event.key)
    )


def filter_hash(release: Release, message: Message | None, name: str) -> bytes:
    """A hash a filter names (empty: none; a field the release lacks: none)."""
    if message is None or name not in message.DESCRIPTOR.fields_by_name:
        return b""
    value = getattr(message, name)
    return hash_in(release, value) if value else b""


def only_in_progress(wanted: Message | None) -> bool:
    """Whether a stream's filter takes new executions only (what a service asks)."""
    return wanted is not None and list(wanted.statuses) == [Status.IN_PROGRESS.value]  # type: ignore[attr-defined]
