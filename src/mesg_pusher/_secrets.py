"""Hiding secrets: the one way to keep the values that must never be shown out of a text, a
server's answer or a value about to be passed on.

What an execution's secrets are is the task inputs' business (`mesg_pusher.tasks`: the app
secret, the proxy credentials, the encryption master key, and the environment's); where a secret
shows, in any encoding, is found by ``_secret_search.py``. A server's answer is scrubbed before
it is decoded and quoted (`scrub_body`), every message once more at the end, after it was cut
(`scrub`), and a parsed answer about to be passed on is checked whole (`shown_in`).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any, Final

from ._secret_search import MAX_SECRET_CHARS, MIN_SCRUBBED, long_strings, secret_finder

__all__ = [
    "MAX_SECRET_CHARS",
    "MIN_SCRUBBED",
    "REDACTED",
    "SCANNED_BYTES",
    "basic_credentials",
    "proxy_secrets",
    "scrub",
    "scrub_body",
    "shown_in",
]

REDACTED: Final = "***"
#: Bytes of a server's answer read for a message (`pusher.interpret`), and so scanned for
#: secrets in every encoding: enough for any real answer, and a bound on the work a hostile one
#: can cause.
SCANNED_BYTES: Final = 16_384


def basic_credentials(pair: str) -> str:
    """``user:password`` as HTTP Basic authentication sends it (``Proxy-Authorization:
    Basic <this>``): base64 of its UTF-8 bytes."""
    return base64.b64encode(pair.encode("utf-8", "surrogatepass")).decode("ascii")


def proxy_secrets(username: str | None, password: str | None) -> list[str]:
    """What of a proxy URL's credentials (decoded) must never be shown, long enough to be
    looked for: its password, or its user name when the password is empty (an API key, as in
    ``http://APIKEY:@proxy``), and the forms they travel in to the proxy, which may echo them
    back: the Basic header's base64, and the ``user:password`` pair itself when the credential
    is too short to be looked for alone (a run of a user name that has a password is no
    secret)."""
    credential = password or (username if password == "" else None)
    if not credential:
        return []
    pair = f"{username or ''}:{password or ''}"
    found = [credential]
    if len(credential) < MIN_SCRUBBED:
        found.append(pair)
    found.append(basic_credentials(pair))
    return [value for value in found if len(value) >= MIN_SCRUBBED]


def scrub(text: str, secrets: Sequence[str]) -> str:
    """`text` without any secret: each one written out, and each run of `MIN_SCRUBBED` or more
    of a secret's characters, plain or in any encoding `SecretFinder` knows, is replaced by ``***``.
    """
    if not secrets:
        return text
    finder = secret_finder(tuple(secrets))
    for secret in finder.literals:
        text = text.replace(secret, REDACTED)
    return _redact(text, finder.spans(text))


def scrub_body(body: bytes, secrets: Sequence[str]) -> bytes:
    """`body` (a server's answer) scrubbed as `scrub` does, before anything decodes it: its
    first `SCANNED_BYTES`, all that is ever read for a message, in every encoding; the rest for
    the secrets written out."""
    if not secrets:
        return body
    head = scrub(body[:SCANNED_BYTES].decode("utf-8", "surrogateescape"), secrets)
    rest = body[SCANNED_BYTES:]
    for secret in secret_finder(tuple(secrets)).literals:
        rest = rest.replace(secret.encode("utf-8", "surrogatepass"), REDACTED.encode())
    return head.encode("utf-8", "surrogateescape") + rest


def _redact(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with each of `spans` (merged where they overlap or touch) replaced by ``***``."""
    if not spans:
        return text
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts: list[str] = []
    position = 0
    for start, end in merged:
        parts += (text[position:start], REDACTED)
        position = end
    parts.append(text[position:])
    return "".join(parts)


def shown_in(value: Any, secrets: Sequence[str]) -> bool:
    """Whether a JSON value (a server's parsed answer, about to be passed on) shows a run of a
    secret in any of its strings, keys included: what a reader of the value would see, one
    level of JSON escapes below its text. Its first `SCANNED_BYTES` characters are read in
    every encoding `scrub` knows, as an answer's are; all of it as written and in base64."""
    if not secrets:
        return False
    texts = long_strings(value)
    if not texts:
        return False
    # One scan for all: the line breaks between them join no escape and no run of base64.
    text = "\n".join(texts)
    finder = secret_finder(tuple(secrets))
    if finder.shows(text[:SCANNED_BYTES]):
        return True
    return len(text) > SCANNED_BYTES and finder.shows_plainly(text)
