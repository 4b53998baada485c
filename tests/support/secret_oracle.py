"""The tests' own judge of whether a text shows a secret, written apart from
`mesg_pusher._secrets` (so that module is not tested with itself) and with the standard library's
decoders: a text shows a secret if, read as written or decoded by any chain of up to two of
JSON escapes, Python escapes, HTML character references, URL encoding (with or without "+" for
space) and white space reflowing, it holds `RUN` or more consecutive characters of the secret, or
if a base64 run in it (as written or decoded once), from any starting character, decodes to bytes
holding `RUN` consecutive bytes of it. (Its decoders are the standard library's where it has them;
the JSON and Python escapes are read by patterns written here.)

Also the encoders a hostile server would use, so tests can write a secret in every form.
"""

from __future__ import annotations

import base64
import html
import html.entities
import re
import urllib.parse
from collections.abc import Callable, Iterator

RUN = 8


def _json_unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        escape = match.group()
        if escape[1] == "u":
            return chr(int(escape[2:], 16))
        return {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}.get(escape[1], escape[1])

    units = re.sub(r"\\(u[0-9a-fA-F]{4}|[nrtbf\"\\/])", one, text)
    # Surrogate pairs written as two escapes become the character they stand for.
    return units.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")


def _python_unescape(text: str) -> str:
    """Python's escapes, as ``str.encode("unicode_escape")`` and string literals write them."""
    simple = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "a": "\a", "v": "\v"}

    def one(match: re.Match[str]) -> str:
        escape = match.group(1)
        if escape[0] in "xuU":
            code = int(escape[1:], 16)
            return chr(code) if code <= 0x10FFFF else match.group()
        if escape[0] in "01234567":
            return chr(int(escape, 8))
        return simple.get(escape, escape)

    pattern = r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|[nrtbfav\\'\"])"
    return re.sub(pattern, one, text)


def _reflowed(text: str) -> str:
    return " ".join(text.split())


DECODERS: dict[str, Callable[[str], str]] = {
    "json": _json_unescape,
    "python": _python_unescape,
    "html": html.unescape,
    "url": urllib.parse.unquote,
    "form": urllib.parse.unquote_plus,
    "reflow": _reflowed,
}


def readings(text: str, depth: int = 2) -> Iterator[tuple[str, str]]:
    """`text` as written and through every chain of up to `depth` decoders: (chain, text)."""
    seen = {text}
    level = [("plain", text)]
    yield level[0]
    for _ in range(depth):
        following = []
        for chain, current in level:
            for name, decode in DECODERS.items():
                try:
                    decoded = decode(current)
                except (UnicodeError, ValueError):
                    continue
                if decoded not in seen:
                    seen.add(decoded)
                    following.append((f"{chain}+{name}", decoded))
                    yield following[-1]
        level = following


def runs_of(secret: str) -> set[str]:
    forms = {secret, _reflowed(secret)}
    return {f[i : i + RUN] for f in forms for i in range(len(f) - RUN + 1)}


def _base64_readings(text: str) -> Iterator[bytes]:
    for match in re.finditer(r"[A-Za-z0-9+/_-]{11,}", text):
        run = match.group().replace("-", "+").replace("_", "/")
        for start in range(4):
            chars = run[start:]
            if len(chars) % 4 == 1:
                chars = chars[:-1]  # a last lone character carries no whole byte
            yield base64.b64decode(chars + "=" * (-len(chars) % 4))


def exposure(text: str, secret: str) -> str | None:
    """How `text` shows a run of `secret` (the decoding chain and the run), or None."""
    if len(secret) < RUN:
        return None
    wanted = runs_of(secret)
    raw = secret.encode("utf-8", "surrogatepass")
    byte_runs = {raw[i : i + RUN] for i in range(len(raw) - RUN + 1)}
    for chain, reading in readings(text):
        for index in range(len(reading) - RUN + 1):
            if reading[index : index + RUN] in wanted:
                return f"{chain}: {reading[index : index + RUN]!r}"
        if chain.count("+") <= 1:
            for data in _base64_readings(reading):
                for index in range(len(data) - RUN + 1):
                    if data[index : index + RUN] in byte_runs:
                        return f"{chain}+base64: {data[index : index + RUN]!r}"
    return None


# How a hostile server may write each character (or the whole) of a secret.
def _entity_decimal(char: str) -> str:
    return f"&#{ord(char)};"


def _entity_hex(char: str) -> str:
    return f"&#x{ord(char):X};"


# Each character HTML names, by one of its names (letters and digits have none).
_NAMES = {value: name for name, value in sorted(html.entities.html5.items()) if name.endswith(";")}


def _entity_named(char: str) -> str:
    name = _NAMES.get(char)
    return f"&{name}" if name is not None else char


def _json_go(char: str) -> str:
    if ord(char) > 0xFFFF:
        code = ord(char) - 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{ord(char):04x}"


def _python(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\U{code:08x}"


def _url(char: str) -> str:
    return urllib.parse.quote(char.encode("utf-8", "surrogatepass"), safe="")


def _url_all(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))


CHARACTER_ENCODINGS: dict[str, Callable[[str], str]] = {
    "plain": lambda char: char,
    "entity-decimal": _entity_decimal,
    "entity-hex": _entity_hex,
    "entity-named": _entity_named,
    "json-escape": _json_go,
    "python-escape": _python,
    "url": _url,
    "url-every-byte": _url_all,
}


def encoded(secret: str, how: str) -> str:
    """`secret` written all in one encoding, or in ``base64``/``base64-url`` as a whole."""
    if how == "base64":
        return base64.b64encode(secret.encode("utf-8", "surrogatepass")).decode()
    if how == "base64-url":
        return base64.urlsafe_b64encode(secret.encode("utf-8", "surrogatepass")).decode()
    return "".join(CHARACTER_ENCODINGS[how](char) for char in secret)


def mixed(secret: str, choices: list[str]) -> str:
    """`secret` with each character in the encoding named at its place in `choices` (cycled)."""
    return "".join(
        CHARACTER_ENCODINGS[choices[index % len(choices)]](char)
        for index, char in enumerate(secret)
    )


ENCODINGS = [*CHARACTER_ENCODINGS, "base64", "base64-url"]
