"""The fifth generation's own checks, pure (engine@v0.21.0 to v0.26.0): the request checks every
unary call passes before anything else (ext/xvalidator, go-playground's English words, the Go
field names), and the text a request's signature covers.

The executions and events themselves are the ``mesg.types`` messages of `_g3_wire`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from google.protobuf.message import Message
from google.protobuf.struct_pb2 import Struct

from .. import _engine_texts as words
from ..mesg import b58encode
from ..mesg.protocol import from_struct
from ..mesg.protocol.v0_21_pb2 import RunnerRegisterRequest
from . import _hashes
from ._signing import payload

#: (field, Go field name, rules) of each unary request, as the engine's .proto tags said.
REGISTER: Final = (
    ("serviceHash", "ServiceHash", "required,hash"),
    ("envHash", "EnvHash", "omitempty,hash"),
)
DELETE: Final = (("runnerHash", "RunnerHash", "required,hash"),)
RESULT: Final = (("executionHash", "ExecutionHash", "required,hash"),)
EVENT: Final = (("key", "Key", "required,printascii"),)
CREATE: Final = (
    ("taskKey", "TaskKey", "required,printascii"),
    ("tags", "Tags", "dive,printascii"),
    ("executorHash", "ExecutorHash", "omitempty,hash"),
)


def field_problems(request: Message, checks: Sequence[tuple[str, str, str]]) -> str | None:
    """What the request checks say of `request` (one line a field), or None."""
    found = []
    for name, go_name, rules in checks:
        value = getattr(request, name)
        values = list(value) if rules.startswith("dive") else [value]
        for item in values:
            problem = _problem(item, go_name, rules.removeprefix("dive,").split(","))
            if problem is not None:
                found.append(problem)
                break
    return "\n".join(found) if found else None


def _problem(value: Any, go_name: str, rules: list[str]) -> str | None:
    if not value:
        if "required" in rules:
            return words.FIELD_REQUIRED.format(field=go_name)
        if "omitempty" in rules:
            return None
    if "hash" in rules and len(value) != _hashes.SIZE:
        return words.FIELD_NOT_HASH.format(field=go_name)
    if "printascii" in rules and not all(" " <= char <= "~" for char in value):
        return words.FIELD_NOT_PRINTABLE.format(field=go_name)
    return None


def request_payload(request: Message) -> bytes:
    """What a signature of `request` covers: its set fields as sorted JSON, hashes in base58,
    Structs as the JSON they mean."""
    return payload(_fields(request))


def _fields(message: Message) -> dict[str, Any]:
    return {field.name: _plain(value) for field, value in message.ListFields()}


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return b58encode(value)
    if isinstance(value, Struct):
        return from_struct(value)
    if isinstance(value, Message):
        return _fields(value)
    if isinstance(value, str | int | float | bool):
        return value
    return [_plain(item) for item in value]


def registration_payload(service_hash: bytes, env_hash: bytes) -> bytes:
    """What the signature handed to a service (MESG_REGISTER_SIGNATURE) covers: its
    registration request."""
    return request_payload(RunnerRegisterRequest(serviceHash=service_hash, envHash=env_hash))
