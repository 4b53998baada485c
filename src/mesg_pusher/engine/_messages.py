"""The engine's refusals, word for word (Core v0.2.0), and JSON the way its Go code writes it.

Every refusal reaches a gRPC client as status UNKNOWN with one of these texts: the engine
returned plain Go errors.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from .._errors import InputsInvalid


def service_not_found(token: str) -> str:
    return f"Database services: Service with hash '{token}' not found"


def task_not_found(task: str, service: str) -> str:
    return f"Task '{task}' not found in service '{service}'"


def output_not_found(output: str, task: str, service: str) -> str:
    return f"Output '{output}' of task '{task}' not found in service '{service}'"


def event_not_found(event: str, service: str) -> str:
    return f"Event '{event}' not found in service '{service}'"


def execution_not_found(execution_id: str) -> str:
    return f"Execution {execution_id} doesn't exists"


def _details(problems: Sequence[tuple[str, str]]) -> str:
    return ". ".join(f"Value of '{key}' {problem}" for key, problem in problems)


def inputs_invalid(task: str, problems: Sequence[tuple[str, str]]) -> str:
    return str(InputsInvalid(task, problems))


def outputs_invalid(output: str, task: str, problems: Sequence[tuple[str, str]]) -> str:
    return f"Outputs '{output}' of task '{task}' are invalid. {_details(problems)}"


def event_data_invalid(event: str, problems: Sequence[tuple[str, str]]) -> str:
    return f"Data of event '{event}' are invalid. {_details(problems)}"


def json_error(text: str) -> str | None:
    """What Go's ``json.Unmarshal`` into a map says about `text`, or None when it is a JSON
    object or null. (Go's wording for malformed text depends on the parser state; this keeps its
    two commonest forms.)"""
    try:
        value = json.loads(text, parse_constant=_refuse)
    except json.JSONDecodeError as error:
        rest = text[error.pos :].strip()
        if not rest:
            return "unexpected end of JSON input"
        return f"invalid character '{rest[0]}' looking for beginning of value"
    except ValueError as error:  # NaN, Infinity, -Infinity
        return f"invalid character '{str(error).lstrip('-')[0]}' looking for beginning of value"
    if not isinstance(value, dict) and value is not None:  # null makes an empty (nil) map
        kind = "array" if isinstance(value, list) else _go_kind(value)
        return f"json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
    return None


def _refuse(name: str) -> Any:
    raise ValueError(name)


def _go_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    return "number"


def go_json(value: Any) -> str:
    """`value` encoded as Go's ``json.Marshal`` encodes a decoded ``interface{}``: map keys
    sorted, no spaces, numbers as float64, and ``<``, ``>``, ``&``, U+2028, U+2029 escaped."""
    parts: list[str] = []
    _encode(value, parts)
    return "".join(parts)


_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def _encode(value: Any, parts: list[str]) -> None:
    if isinstance(value, dict):
        parts.append("{")
        for index, key in enumerate(sorted(value)):
            if index:
                parts.append(",")
            parts.append(_string(str(key)))
            parts.append(":")
            _encode(value[key], parts)
        parts.append("}")
    elif isinstance(value, list | tuple):
        parts.append("[")
        for index, item in enumerate(value):
            if index:
                parts.append(",")
            _encode(item, parts)
        parts.append("]")
    elif isinstance(value, str):
        parts.append(_string(value))
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif value is None:
        parts.append("null")
    else:
        parts.append(_number(float(value)))


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).translate(_ESCAPES)


def _number(number: float) -> str:
    """Go's float64 formatting: the shortest digits that read back the same, in exponent form
    only below 1e-6 or from 1e21 on (``1e+21``, ``1.5e-7``)."""
    if not math.isfinite(number):
        raise ValueError("JSON has no NaN or Infinity")
    if number == 0:
        return "0"
    digits = Decimal(repr(number)).normalize()
    return format(digits, "f" if 1e-6 <= abs(number) < 1e21 else "e")
