"""Structs (``google.protobuf.Struct``, wire-identical to the engine's ``mesg.protobuf.Struct``)
to and from the JSON values they mean, the way the engine's Go code and mesg-js read them:
``null`` is a ``null_value``, every number a double, arrays ``list_value``.

`to_struct` builds one (`deterministic` serialisation then writes its fields in key order);
`from_struct` reads one, a value whose kind is not set becoming `unset`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from google.protobuf.struct_pb2 import NULL_VALUE, ListValue, Struct, Value


def to_struct(values: Mapping[str, Any]) -> Struct:
    """`values` (JSON-like: dict, list, str, int, float, bool, None) as a Struct."""
    struct = Struct()
    for key, value in values.items():
        struct.fields[str(key)].CopyFrom(to_value(value))
    return struct


def to_value(value: Any) -> Value:
    """One JSON value as a protobuf Value; a `TypeError` for anything else (and a
    `ValueError` for NaN or an infinity, which JSON cannot hold)."""
    if value is None:
        return Value(null_value=NULL_VALUE)
    if isinstance(value, bool):
        return Value(bool_value=value)
    if isinstance(value, int | float):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{value!r} is not a JSON number")
        return Value(number_value=number)
    if isinstance(value, str):
        return Value(string_value=value)
    if isinstance(value, Mapping):
        return Value(struct_value=to_struct(value))
    if isinstance(value, list | tuple):
        return Value(list_value=ListValue(values=[to_value(item) for item in value]))
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def from_struct(struct: Struct, *, unset: Any = None) -> dict[str, Any]:
    """The JSON object a Struct means; a value with no kind set becomes `unset`."""
    return {key: from_value(value, unset=unset) for key, value in struct.fields.items()}


def from_value(value: Value, *, unset: Any = None) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "null_value":
        return None
    if kind == "number_value":
        return value.number_value
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return from_struct(value.struct_value, unset=unset)
    if kind == "list_value":
        return [from_value(item, unset=unset) for item in value.list_value.values]
    return unset
