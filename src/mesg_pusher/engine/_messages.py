"""The stand-in's refusals, in the engine's words (`mesg_pusher.mesg.words`, Core v0.2.0), and
JSON the way the engine's Go code reads and writes it.

Every refusal reaches a gRPC client as status UNKNOWN with one of these texts: the engine
returned plain Go errors. Decoding follows Go's ``json.Unmarshal`` into a
``map[string]interface{}``: a lone UTF-16 surrogate becomes U+FFFD, a number beyond float64 is
refused in Go's words. One difference: nesting deeper than MAX_DEPTH is refused with the text
Go (from 1.15) uses for its own limit of 10000, because Python cannot decode that deep.
"""

from __future__ import annotations

import json
import math
import re
import time
from decimal import Decimal
from typing import Any, Final

from .._errors import MesgPusherError
from .._text import LONE_SURROGATE
from ..mesg import words

#: Deepest nesting of arrays and objects decoded (Go's own limit is 10000).
MAX_DEPTH: Final = 500
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_STRUCTURE = re.compile(r'["\\\[\]{}]')


class GoJsonError(MesgPusherError, ValueError):
    """`text` is not what Go's ``json.Unmarshal`` into a map takes; the message is Go's."""


def service_not_found(token: str) -> str:
    return words.SERVICE_NOT_FOUND.format(token=token)


def task_not_found(task: str, service: str) -> str:
    return words.TASK_NOT_FOUND.format(task=task, service=service)


def output_not_found(output: str, task: str, service: str) -> str:
    return words.OUTPUT_NOT_FOUND.format(output=output, task=task, service=service)


def event_not_found(event: str, service: str) -> str:
    return words.EVENT_NOT_FOUND.format(event=event, service=service)


def execution_not_found(execution_id: str) -> str:
    return words.EXECUTION_GONE.format(id=execution_id)


def go_time(nanoseconds: int) -> str:
    """A UTC time (nanoseconds since the epoch) as Go's ``time.Time.String`` prints it:
    ``2026-12-01 09:25:41.188702065 +0000 UTC``, trailing zeros of the fraction dropped."""
    seconds, fraction = divmod(nanoseconds, 1_000_000_000)
    text = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))
    if fraction:
        text += "." + f"{fraction:09d}".rstrip("0")
    return f"{text} +0000 UTC"


def task_data_bytes(execution_id: bytes, task_key: bytes, input_data: bytes) -> bytes:
    """A ``TaskData`` message on the wire with these raw field contents, UTF-8 or not (protobuf
    itself only builds valid ones)."""
    return b"".join(
        _length_delimited(number, value)
        for number, value in ((1, execution_id), (2, task_key), (3, input_data))
    )


def _length_delimited(number: int, value: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(value)) + value


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        low, number = number & 0x7F, number >> 7
        out.append(low | (0x80 if number else 0))
        if not number:
            return bytes(out)


def json_error(text: str) -> str | None:
    """What Go's ``json.Unmarshal`` into a map says about `text`, or None when it is a JSON
    object or null."""
    try:
        decode_object(text)
    except GoJsonError as error:
        return str(error)
    return None


def decode_object(text: str) -> dict[str, Any]:
    """`text` as Go's ``json.Unmarshal`` into ``map[string]interface{}`` decodes it (null is an
    empty map), or GoJsonError with Go's message. Go's wording for malformed text depends on
    the parser state; this keeps its two commonest forms."""
    problem = _depth_error(text, MAX_DEPTH)
    if problem is not None:
        raise GoJsonError(problem)
    try:
        value = json.loads(text, parse_constant=_refuse, parse_float=_float, parse_int=_int)
    except _OutOfRange as error:
        # Go checks the syntax of the whole text first, and refuses a non-object as a whole
        # before it converts any number in it.
        try:
            _check_is_object(json.loads(text, parse_constant=_refuse))
        except (ValueError, RecursionError) as other:
            raise _go_error(text, other) from None
        raise GoJsonError(words.JSON_NUMBER_TOO_LARGE.format(literal=str(error))) from None
    except (ValueError, RecursionError) as error:
        raise _go_error(text, error) from None
    _check_is_object(value)
    if value is None:
        return {}
    if _SURROGATE_ESCAPE.search(text):
        value = _without_lone_surrogates(value)
    return value  # type: ignore[no-any-return]


def _go_error(text: str, error: BaseException) -> GoJsonError:
    """Go's message for what stopped Python's decoder."""
    if isinstance(error, GoJsonError):
        return error
    if isinstance(error, json.JSONDecodeError):
        rest = text[error.pos :].strip()
        if not rest:
            return GoJsonError(words.JSON_END.format())
        return GoJsonError(words.JSON_BAD_CHARACTER.format(character=rest[0]))
    if isinstance(error, RecursionError):  # MAX_DEPTH is well within Python's limit; in case
        return GoJsonError(_depth_error(text, MAX_DEPTH // 4) or "exceeded max depth")
    word = str(error).lstrip("-")[:1] or "N"  # NaN, Infinity, -Infinity
    return GoJsonError(words.JSON_BAD_CHARACTER.format(character=word))


def _check_is_object(value: Any) -> None:
    if not isinstance(value, dict) and value is not None:  # null makes an empty (nil) map
        kind = "array" if isinstance(value, list) else _go_kind(value)
        raise GoJsonError(words.JSON_NOT_AN_OBJECT.format(kind=kind))


def _depth_error(text: str, limit: int) -> str | None:
    """Go's scanner's refusal of nesting deeper than `limit`, or None."""
    if text.count("[") + text.count("{") <= limit:
        return None
    depth = 0
    in_string = False
    escaped = -1  # index of a character escaped inside a string
    for match in _STRUCTURE.finditer(text):
        index, char = match.start(), match.group()
        if in_string:
            if index == escaped:
                continue
            if char == "\\":
                escaped = index + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return words.JSON_TOO_DEEP.format(character=char)
        elif char in "]}":
            depth -= 1
    return None


class _OutOfRange(ValueError):
    """A number literal beyond float64 (its text is the message)."""


def _float(literal: str) -> float:
    value = float(literal)
    if math.isinf(value):
        raise _OutOfRange(literal)
    return value


def _int(literal: str) -> int:
    if math.isinf(float(literal)):  # float() of digits never raises; int() may, for 4300+
        raise _OutOfRange(literal)
    return int(literal)


def _refuse(name: str) -> Any:
    raise ValueError(name)


def _without_lone_surrogates(value: Any) -> Any:
    """`value` with every lone UTF-16 surrogate in its strings replaced by U+FFFD, as Go's
    decoder does (Python's keeps them, and they cannot be encoded as UTF-8)."""
    if isinstance(value, str):
        return LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {
            _without_lone_surrogates(key): _without_lone_surrogates(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_without_lone_surrogates(item) for item in value]
    return value


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
    # Go writes what is not UTF-8 (here: a lone surrogate) as U+FFFD.
    text = LONE_SURROGATE.sub("\ufffd", text)
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
