"""JSON in and out, the way JavaScript's ``JSON.stringify`` and ``JSON.parse`` do it.

Pusher's other clients and subscribers are JavaScript, so the data string we send is compact
(no spaces), keeps non-ASCII characters as they are (sizes are counted in UTF-8 bytes), and
escapes lone surrogates as ``\\udXXX`` so the result is always valid UTF-8. Parsing refuses the
``NaN`` and ``Infinity`` words that Python's json module accepts but JSON does not.
"""

from __future__ import annotations

import json
import re
from typing import Any

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogate(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def dumps(value: Any) -> str:
    """Encode `value` as compact JSON text; always encodable as UTF-8."""
    text = _encoder.encode(value)
    if not text.isascii() and _LONE_SURROGATE.search(text):
        text = _LONE_SURROGATE.sub(_escape_surrogate, text)
    return text


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# Built once: json.loads with a keyword argument builds a new decoder on every call.
_decoder = json.JSONDecoder(parse_constant=_refuse_constant)


def loads(text: str | bytes) -> Any:
    """Decode JSON text, refusing the non-standard ``NaN``/``Infinity`` constants.

    Bytes are decoded as `json.loads` does it (UTF-8, -16 or -32, found from the first bytes).
    """
    if isinstance(text, bytes | bytearray):
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    elif not isinstance(text, str):
        raise TypeError(f"the JSON object must be str or bytes, not {type(text).__name__}")
    elif text.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    return _decoder.decode(text)
