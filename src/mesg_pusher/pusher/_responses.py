"""The one place that turns an HTTP status and body into a result or a `PusherHTTPError`."""

from __future__ import annotations

from html.parser import HTMLParser
from http import HTTPStatus
from typing import Any

from .. import _json
from .._errors import PusherHTTPError
from .._secrets import SCANNED_BYTES
from .._text import cut

#: Longest piece of a Pusher error body quoted in a message, the mark of a cut included.
MAX_MESSAGE_CHARS = 500
#: Bytes of an error body read for its message: enough for any real one, and a bound on the work
#: a hostile answer can cause. The same bound says how much of a body is scrubbed of secrets in
#: every encoding before it is read.
MAX_SCANNED_BYTES = SCANNED_BYTES


def interpret(status: int, body: bytes, via: str | None = None) -> dict[str, Any]:
    """Pusher's JSON answer for a 2xx status; a `PusherHTTPError` for anything else.

    `via` names the proxy the request went through (its printable form), if any.

    Some Pusher-compatible servers (soketi) answer errors with status 200 and a body
    ``{"error": "...", "code": 401}``; that is reported as the error it describes.
    """
    if 200 <= status < 300:
        parsed = _parse(body)
        if isinstance(parsed, dict):
            code = parsed.get("code")
            error = parsed.get("error")
            if isinstance(code, int) and code >= 400 and isinstance(error, str):
                raise _error(code, body, error, via)
            return parsed
        return {}
    raise _error(status, body, _message(body), via)


def _error(status: int, body: bytes, message: str, via: str | None) -> PusherHTTPError:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    return PusherHTTPError(status, reason, _shorten(message), body, via)


def _parse(body: bytes) -> Any:
    if not body.strip():
        return {}
    try:
        return _json.loads(body)
    except ValueError:
        return None


def _message(body: bytes) -> str:
    """Pusher's text: the body itself (Pusher answers errors in plain text), or the ``error``
    field of a JSON body."""
    text = body[:MAX_SCANNED_BYTES].decode("utf-8", "replace").strip()
    if text.startswith("<"):
        # An HTML error page (from a proxy or a load balancer): its text, without the markup.
        return _PageText.of(text)
    parsed = _parse(body) if text.startswith("{") and len(body) <= MAX_SCANNED_BYTES else None
    if isinstance(parsed, dict):
        for field in ("error", "message"):
            value = parsed.get(field)
            if isinstance(value, str) and value:
                return value
    return text


class _PageText(HTMLParser):
    """The visible text of an HTML page: what is outside ``head``, ``script`` and ``style``."""

    _HIDDEN = frozenset({"head", "script", "style", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._hidden = 0
        self._parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self._parts.append(data)

    @classmethod
    def of(cls, page: str) -> str:
        parser = cls()
        parser.feed(page)
        parser.close()
        return " ".join(parser._parts)


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return cut(text, MAX_MESSAGE_CHARS - 1)
