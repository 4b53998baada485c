"""JSON in and out, the way JavaScript's ``JSON.stringify`` and ``JSON.parse`` do it.

Pusher's other clients and subscribers are JavaScript, so the data string we send is compact
(no spaces), keeps non-ASCII characters as they are (sizes are counted in UTF-8 bytes), writes
numbers with fractions or exponents as JavaScript writes them (``1`` for ``1.0``, ``1e-7``,
``1e+21``), and escapes lone surrogates as ``\\udXXX`` so the result is always valid UTF-8.
Integers are written exactly. Parsing refuses what JSON does not allow or cannot carry: the
``NaN`` and ``Infinity`` words, numbers too large for a double, and nesting too deep to handle;
every refusal is a `ValueError`.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from ._text import LONE_SURROGATE, cut

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
#: Integral doubles below this are written as integers directly; beyond it JavaScript writes
#: the shortest digits padded with zeros, which the general rule does.
_EXACT_INTEGERS = 2.0**53


def _escape_surrogate(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def js_number(value: float) -> str:
    """A finite double as JavaScript's ``Number.prototype.toString`` writes it."""
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a JSON number")
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < _EXACT_INTEGERS:
        return str(int(value))
    sign = "-" if value < 0 else ""
    # repr gives the shortest digits that read back as the same double, as JavaScript does;
    # only the layout differs.
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    stripped = digits.lstrip("0")
    point = len(whole) - (len(digits) - len(stripped)) + (int(exponent) if exponent else 0)
    digits = stripped.rstrip("0")
    count = len(digits)
    if count <= point <= 21:
        text = digits + "0" * (point - count)
    elif 0 < point <= 21:
        text = f"{digits[:point]}.{digits[point:]}"
    elif -6 < point <= 0:
        text = "0." + "0" * -point + digits
    else:
        power = point - 1
        shown = digits if count == 1 else f"{digits[0]}.{digits[1:]}"
        text = f"{shown}e{'+' if power >= 0 else '-'}{abs(power)}"
    return sign + text


def _has_float(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


def _encode_with_js_numbers(value: Any) -> str:
    """`value` as `dumps` writes it, floats in JavaScript's layout: the C encoder cannot be told
    how to write floats, so values holding them are walked here, each string still written by
    it. A cycle ends as a `RecursionError`."""
    out: list[str] = []
    _write(value, out)
    return "".join(out)


def _write(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(_encoder.encode(value))
    elif value is None:
        out.append("null")
    elif value is True or value is False:
        out.append("true" if value else "false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(js_number(value))
    elif isinstance(value, dict):
        out.append("{")
        for number, (key, item) in enumerate(value.items()):
            if number:
                out.append(",")
            out.append(_encoder.encode(_key(key)))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for number, item in enumerate(value):
            if number:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        _encoder.default(value)  # raises the standard library's TypeError, naming the type


def _key(key: Any) -> str:
    """An object key as JSON writes it: a string, or a number, boolean or null as text."""
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if key is True or key is False:
        return "true" if key else "false"
    if isinstance(key, int):
        return int.__repr__(key)
    if isinstance(key, float):
        return js_number(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def dumps(value: Any) -> str:
    """Encode `value` as compact JSON text; always encodable as UTF-8. Raises `ValueError` for
    what JSON cannot carry (NaN, infinities, nesting too deep, bytes and other objects)."""
    try:
        text = _encode_with_js_numbers(value) if _has_float(value) else _encoder.encode(value)
    except RecursionError:
        raise ValueError("nested too deeply to encode") from None
    except TypeError as error:  # a value JSON has no form for (bytes, a set, an object)
        raise ValueError(str(error)) from None
    if not text.isascii() and LONE_SURROGATE.search(text):
        text = LONE_SURROGATE.sub(_escape_surrogate, text)
    return text


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {cut(text, 27)} is too large for a JSON number")
    return value


# Built once: json.loads with a keyword argument builds a new decoder on every call.
_decoder = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)


def loads(text: str | bytes) -> Any:
    """Decode JSON text; every refusal is a `ValueError`.

    Bytes are decoded as `json.loads` does it (UTF-8, -16 or -32, found from the first bytes).
    """
    if isinstance(text, bytes | bytearray):
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    elif not isinstance(text, str):
        raise TypeError(f"the JSON object must be str or bytes, not {type(text).__name__}")
    elif text.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    try:
        return _decoder.decode(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None
