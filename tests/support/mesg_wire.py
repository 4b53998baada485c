"""Protocol buffers by hand, for a test client written from the protocol description alone: no
generated code, nothing of the project's. `encode` writes fields the way protobufjs (under
mesg-js and @mesg/service) writes them: in field-number order, a field only when it is set,
repeated scalars packed, a Struct's entries in the order the JavaScript object had its keys.
`decode` reads any message into its fields, in order, so a test can hold a reply to the exact
bytes it expects.

A message is a list of `Field`s; a value is an int (varint), float (double, fixed64), str,
bytes, a nested message (a list of fields), or `Packed` varints.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

VARINT = 0
FIXED64 = 1
LENGTH = 2


@dataclass(frozen=True)
class Packed:
    values: tuple[int, ...]


@dataclass(frozen=True)
class Field:
    number: int
    value: Any  # int | float | str | bytes | list[Field] | Packed


def varint(number: int) -> bytes:
    if number < 0:
        number += 1 << 64
    out = bytearray()
    while True:
        low, number = number & 0x7F, number >> 7
        out.append(low | (0x80 if number else 0))
        if not number:
            return bytes(out)


def encode(fields: Sequence[Field]) -> bytes:
    out = bytearray()
    for field in fields:
        value = field.value
        if isinstance(value, bool | int):
            out += varint(field.number << 3 | VARINT) + varint(int(value))
        elif isinstance(value, float):
            out += varint(field.number << 3 | FIXED64) + struct.pack("<d", value)
        else:
            if isinstance(value, str):
                body = value.encode("utf-8")
            elif isinstance(value, bytes):
                body = value
            elif isinstance(value, Packed):
                body = b"".join(varint(item) for item in value.values)
            else:
                body = encode(value)
            out += varint(field.number << 3 | LENGTH) + varint(len(body)) + body
    return bytes(out)


def message(*pairs: tuple[int, Any]) -> list[Field]:
    """Fields from (number, value) pairs, leaving out the unset ones (None, "", b"", 0,
    empty lists) as proto3 does."""
    return [
        Field(number, value) for number, value in pairs if value not in (None, "", b"", 0, [], ())
    ]


def decode(data: bytes) -> list[tuple[int, int, Any]]:
    """Every field of a message: (number, wire type, raw value: int, float bits as bytes, or
    the length-delimited bytes)."""
    found: list[tuple[int, int, Any]] = []
    at = 0
    while at < len(data):
        key, at = _read_varint(data, at)
        number, kind = key >> 3, key & 7
        value: Any
        if kind == VARINT:
            value, at = _read_varint(data, at)
        elif kind == FIXED64:
            value, at = data[at : at + 8], at + 8
        elif kind == LENGTH:
            size, at = _read_varint(data, at)
            value, at = data[at : at + size], at + size
        else:
            raise ValueError(f"wire type {kind} is not used by these messages")
        found.append((number, kind, value))
    return found


def fields_of(data: bytes) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for number, _, value in decode(data):
        out.setdefault(number, []).append(value)
    return out


def _read_varint(data: bytes, at: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        byte = data[at]
        at += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, at


# google.protobuf.Struct (mesg.protobuf.Struct has the same numbers) --------------------------


def struct_fields(values: Mapping[str, Any]) -> list[Field]:
    """A Struct as mesg-js's encoder builds it (src/util/encoder.ts): each key an entry of map
    field 1 ({1: key, 2: Value}), in the object's key order; null and undefined as null_value."""
    return [
        Field(1, [Field(1, key), Field(2, value_fields(value))]) for key, value in values.items()
    ]


def value_fields(value: Any) -> list[Field]:
    if value is None:
        return [Field(1, 0)]  # null_value: NULL_VALUE (0), written as set
    if isinstance(value, bool):
        return [Field(4, value)]
    if isinstance(value, int | float):
        return [Field(2, float(value))]
    if isinstance(value, str):
        return [Field(3, value)]
    if isinstance(value, Mapping):
        return [Field(5, struct_fields(value))]
    return [Field(6, [Field(1, value_fields(item)) for item in value])]


def read_struct(data: bytes) -> dict[str, Any]:
    out = {}
    for _, _, entry in decode(data):
        parts = fields_of(entry)
        key = parts[1][0].decode("utf-8") if 1 in parts else ""
        out[key] = read_value(parts[2][0] if 2 in parts else b"")
    return out


def read_value(data: bytes) -> Any:
    for number, _, value in decode(data):
        if number == 1:
            return None
        if number == 2:
            return struct.unpack("<d", value)[0]
        if number == 3:
            return value.decode("utf-8")
        if number == 4:
            return bool(value)
        if number == 5:
            return read_struct(value)
        if number == 6:
            return [read_value(item) for item in fields_of(value).get(1, [])]
    return "<no kind>"


# base58 (the bitcoin alphabet), for hashes given as text ---------------------------------------

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        number = number * 58 + _ALPHABET.index(char)
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, digit = divmod(number, 58)
        out = _ALPHABET[digit] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out
