"""The values that must never be shown, found once per execution, and the one way to hide them.

An execution's secrets are the app secret and the proxy password (as written in the URL and
decoded, and as ``user:password`` and its base64 form, which the ``Proxy-Authorization`` header
carries). No input other than the ones that carry them may hold one (`free_of`), so a message
that quotes an input cannot show one; a server's answer is scrubbed before it is quoted
(`scrub_body`), and every message once more at the end (`scrub`). Values shorter than
`MIN_SCRUBBED` cannot be told from ordinary words and are not looked for.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from ._errors import InputError
from ._json import dumps

REDACTED: Final = "***"
#: Secrets shorter than this cannot be told from ordinary words, so they are not looked for in
#: other texts; Pusher's app secrets have 20 characters.
MIN_SCRUBBED: Final = 8
#: Inputs allowed to hold a secret: the app secret itself, and the proxy URL its password.
SECRET_HOLDERS: Final = frozenset({"secret", "proxy"})


def secrets_of(inputs: Mapping[str, Any]) -> list[str]:
    """The secrets an execution's inputs carry, long enough to be looked for."""
    found = []
    secret = inputs.get("secret")
    if isinstance(secret, str):
        found.append(secret)
    proxy = inputs.get("proxy")
    if isinstance(proxy, str) and "@" in proxy:
        try:
            parts = urlsplit(proxy)
            username, password = parts.username, parts.password
        except ValueError:
            username = password = None
        if password:
            found.extend(dict.fromkeys((password, unquote(password))))
            # The forms the password travels in to the proxy, which may echo them back.
            pair = f"{unquote(username or '')}:{unquote(password)}"
            found.extend((pair, basic_credentials(pair)))
    return [value for value in found if len(value) >= MIN_SCRUBBED]


def basic_credentials(pair: str) -> str:
    """``user:password`` as HTTP Basic authentication sends it (``Proxy-Authorization:
    Basic <this>``): base64 of its UTF-8 bytes."""
    return base64.b64encode(pair.encode("utf-8", "surrogatepass")).decode("ascii")


def scrub(text: str, secrets: Sequence[str]) -> str:
    """`text` with every one of `secrets` replaced by ``***``, longest first."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def scrub_body(body: bytes, secrets: Sequence[str]) -> bytes:
    """`body` without any secret, as written or as JSON escapes it."""
    for secret in sorted(secrets, key=len, reverse=True):
        for form in {secret, dumps(secret)[1:-1], json.dumps(secret)[1:-1]}:
            body = body.replace(form.encode("utf-8", "surrogatepass"), REDACTED.encode())
    return body


def free_of(secrets: Sequence[str], inputs: Mapping[str, Any]) -> None:
    """Refuse inputs (other than those in `SECRET_HOLDERS`) that hold a secret: it would be sent
    to Pusher's subscribers or quoted in a message. Walks nested data without recursion."""
    if not secrets:
        return
    stack: list[tuple[Any, str]] = [
        (value, key) for key, value in inputs.items() if key not in SECRET_HOLDERS
    ]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            if any(secret in value for secret in secrets):
                raise InputError(
                    where,
                    "holds the app secret or the proxy password, which must never be published "
                    "or shown; nothing was sent",
                )
        elif isinstance(value, dict):
            for key, item in value.items():
                stack.append((key, f"{where} (a key)"))
                if isinstance(key, str) and not any(secret in key for secret in secrets):
                    stack.append((item, f"{where}.{key}"))
                else:
                    stack.append((item, where))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{index}]") for index, item in enumerate(value))
