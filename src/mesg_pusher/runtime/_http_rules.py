"""What serve's HTTP/1.1 edge decides, without I/O: a request's head read into a `RequestHead`
or a `Refusal`, an answer's bytes, the share of the open-file limit the edge may hold, and how
often a repeated log line is written. The edge in ``_http_server.py`` does the reading, writing
and waiting.

Theory of operation, one connection:

1. Idle: no byte of a request has come, since the connection was accepted or its last answer
   was written. It is closed after `IDLE_SECONDS`, or sooner when the edge is at its connection
   limit and a newer connection needs the room (the oldest idle one goes first, once it has
   been idle `EVICTABLE_AFTER`).
2. Head: from its first byte, the head must end (the blank line) within `HEAD_SECONDS` and
   `MAX_HEAD_BYTES`; otherwise the connection is closed (a head too large is answered 431).
   `parse_head` reads it; a `Refusal` is answered and the connection closed.
3. Body: only a route that wants the body reads it, and only with ``Content-Length`` (a
   ``Transfer-Encoding`` is refused with 411), within the route's time and the edge's byte
   budget over every body being read at once. A route may answer before reading: the answer
   is written and the connection closed, the body never read.
4. Answer: written with ``Content-Length``; the connection is kept for the next request only
   when the request asked for it (HTTP/1.1, or ``Connection: keep-alive``) and its body was read.
   A connection closed after an answer whose body was not read lingers for at most
   `LINGER_SECONDS`, its input discarded, so the client reads the answer instead of a reset.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Final

from .._json import dumps

#: Longest head (request line and header lines), and most header lines. Pusher's webhook heads
#: are under 1 KB; a TLS proxy in front adds a few lines.
MAX_HEAD_BYTES: Final = 16 * 1024
MAX_HEADER_LINES: Final = 100
#: An idle connection is closed after this long without a byte of a request.
IDLE_SECONDS: Final = 10.0
#: A head must be complete this long after its first byte (a sender writes it at once; a slow
#: one is a slow-loris, and an answer to a webhook is due within 4 s anyway).
HEAD_SECONDS: Final = 5.0
#: How long a connection closed without reading its request's body discards what still comes.
LINGER_SECONDS: Final = 2.0
#: At the connection limit, a connection idle (or lingering) this long is closed for a newcomer.
#: A client writes its request as soon as it is connected; a connection accepted a moment ago
#: and not read yet must not make room for the next one, or a burst would close itself.
EVICTABLE_AFTER: Final = 1.0
#: The edge's share of the open-file limit: what is left once `FILES_KEPT` are set aside (the
#: engine's gRPC channel, the log, the interpreter's own files), halved so that the other half
#: stays for Pusher's connections (256 at most) and everything else; never more than
#: `MAX_CONNECTIONS` (which bounds the heads held at once to 16 MiB) nor fewer than
#: `MIN_CONNECTIONS`.
FILES_KEPT: Final = 64
MAX_CONNECTIONS: Final = 1024
MIN_CONNECTIONS: Final = 8
#: A repeated log line of the edge (a malformed request, a failed accept) is written at most
#: once in this many seconds for each kind; the line says how many happened since the last.
LOG_INTERVAL: Final = 1.0
#: Content-Length values longer than this many digits are read as this many nines: above every
#: limit, and never an integer conversion of unbounded length.
_LENGTH_DIGITS: Final = 18

CONTINUE: Final = b"HTTP/1.1 100 Continue\r\n\r\n"
JSON: Final = "application/json"

_TOKEN = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_REQUEST_LINE = re.compile(rb"(" + _TOKEN + rb") ([\x21-\x7e]+) (HTTP/[0-9]\.[0-9])")
# Greedy, with the surrounding blanks stripped afterwards: a lazy value followed by optional
# blanks would backtrack quadratically over a long run of spaces.
_FIELD_LINE = re.compile(rb"(" + _TOKEN + rb"):([^\x00-\x08\x0a-\x1f\x7f]*)")
_VERSIONS = ("HTTP/1.1", "HTTP/1.0")
_ABSOLUTE = re.compile(r"https?://[^/?#]*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RequestHead:
    """A request's head as read: the method, the path (the target without its query), the
    version, the header fields (lower-case names; repeated fields joined with ``", "``), the
    body's length, whether the connection may carry another request, and whether the client
    waits for ``100 Continue`` before sending the body."""

    method: str
    path: str
    version: str
    headers: Mapping[str, str]
    content_length: int = 0
    keep_alive: bool = True
    expects_continue: bool = False

    def header(self, name: str) -> str | None:
        """The field named `name` (any case), or None."""
        return self.headers.get(name.lower())


@dataclass(frozen=True, slots=True)
class Refusal:
    """A request the edge answers itself and then closes: the status, the reason (its label in
    metrics and logs) and what is wrong, in words that never quote the request."""

    status: int
    reason: str
    detail: str


def _malformed(detail: str) -> Refusal:
    return Refusal(400, "malformed", detail)


HEAD_TOO_LARGE: Final = Refusal(
    431, "head_too_large", f"the request head is larger than {MAX_HEAD_BYTES} bytes"
)


def head_end(buffer: bytes | bytearray, searched: int = 0) -> int:
    """Where the blank line ending a head starts in `buffer`, or -1; `searched` bytes were
    looked through already."""
    return buffer.find(b"\r\n\r\n", max(0, searched - 3))


def parse_head(head: bytes) -> RequestHead | Refusal:
    """The head `head` (without the blank line; leading empty lines already removed) read, or
    the refusal that answers it (RFC 9112: strict lines, CRLF only, no folding)."""
    lines = head.split(b"\r\n")
    if len(lines) - 1 > MAX_HEADER_LINES:
        return Refusal(431, "head_too_large", f"more than {MAX_HEADER_LINES} header lines")
    request_line = _REQUEST_LINE.fullmatch(lines[0])
    if request_line is None:
        return _malformed("the request line is not METHOD TARGET HTTP/x.y")
    method, target, version = (part.decode("ascii") for part in request_line.groups())
    if version not in _VERSIONS:
        return Refusal(505, "version", "only HTTP/1.1 and HTTP/1.0 are served")
    path = _path(target)
    if path is None:
        return _malformed("the request target is not a path")
    headers: dict[str, str] = {}
    lengths: set[str] = set()
    for line in lines[1:]:
        fields = _FIELD_LINE.fullmatch(line)
        if fields is None:
            return _malformed("a header line is not NAME: VALUE")
        name = fields.group(1).decode("ascii").lower()
        # Bytes the way aiohttp read them: UTF-8, and any other byte kept as it was.
        value = fields.group(2).strip(b" \t").decode("utf-8", "surrogateescape")
        if name == "content-length":
            lengths.update(part.strip() for part in value.split(","))
        previous = headers.get(name)
        headers[name] = value if previous is None else f"{previous}, {value}"
    if "transfer-encoding" in headers:
        return Refusal(411, "length_required", "a body is taken with Content-Length only")
    content_length = 0
    if lengths:
        if len(lengths) > 1:
            return _malformed("the Content-Length fields disagree")
        text = lengths.pop()
        if not text.isascii() or not text.isdigit():
            return _malformed("Content-Length is not a number of bytes")
        content_length = int(text) if len(text) <= _LENGTH_DIGITS else 10**_LENGTH_DIGITS - 1
    tokens = {token.strip().lower() for token in headers.get("connection", "").split(",")}
    keep_alive = "close" not in tokens and (version == "HTTP/1.1" or "keep-alive" in tokens)
    expects = headers.get("expect", "").strip().lower() == "100-continue"
    return RequestHead(
        method=method,
        path=path,
        version=version,
        headers=headers,
        content_length=content_length,
        keep_alive=keep_alive,
        expects_continue=expects and version == "HTTP/1.1",
    )


def _path(target: str) -> str | None:
    """The path of an origin-form (``/a?b``) or absolute-form (``http://h/a``) target; ``*``
    (OPTIONS) stays as it is; anything else is None."""
    if target == "*":
        return target
    absolute = _ABSOLUTE.match(target)
    if absolute is not None:
        target = target[absolute.end() :] or "/"
    if not target.startswith("/"):
        return None
    return target.split("?", 1)[0].split("#", 1)[0]


@dataclass(frozen=True, slots=True)
class Response:
    """An answer: status, body and its content type, and header fields to add."""

    status: int
    body: bytes = b""
    content_type: str = JSON
    headers: tuple[tuple[str, str], ...] = ()


def error_response(status: int, detail: str, *headers: tuple[str, str]) -> Response:
    """A JSON answer ``{"error": detail}``, as every answer of the listener that is not a
    success is written."""
    body = dumps({"error": detail}).encode("utf-8")
    return Response(status, body, JSON, headers)


def refusal_response(refusal: Refusal) -> Response:
    return error_response(refusal.status, refusal.detail)


def response_bytes(response: Response, *, date: str, close: bool, head_only: bool = False) -> bytes:
    """The status line, header fields and body of `response` (no body for a HEAD request, its
    length all the same); ``Connection: close`` when the connection ends after it."""
    try:
        phrase = HTTPStatus(response.status).phrase
    except ValueError:
        phrase = "Unknown"
    # In aiohttp's order, which clients that read only what they need have come to expect.
    lines = [
        f"HTTP/1.1 {response.status} {phrase}\r\n",
        f"Content-Type: {response.content_type}\r\n",
        f"Content-Length: {len(response.body)}\r\n",
        f"Date: {date}\r\n",
    ]
    lines.extend(f"{name}: {value}\r\n" for name, value in response.headers)
    if close:
        lines.append("Connection: close\r\n")
    lines.append("\r\n")
    head = "".join(lines).encode("latin-1")
    return head if head_only else head + response.body


def connection_cap(open_files: int) -> int:
    """The most connections the edge holds at once under an open-file limit of `open_files`
    (see `FILES_KEPT`); a limit of ``RLIM_INFINITY`` (negative) counts as unlimited."""
    if open_files < 0:
        return MAX_CONNECTIONS
    return max(MIN_CONNECTIONS, min(MAX_CONNECTIONS, (open_files - FILES_KEPT) // 2))


@dataclass(slots=True)
class Throttle:
    """Whether a repeated log line is written now: at most once per `interval` (clock seconds
    passed in), saying how many happened since the last line written."""

    interval: float = LOG_INTERVAL
    _last: float = field(default=-math.inf)
    _since: int = 0

    def due(self, now: float) -> int:
        """Count one occurrence at `now`; the occurrences the line written now covers (this one
        included), or 0 when no line is due."""
        self._since += 1
        if now - self._last < self.interval:
            return 0
        self._last = now
        count, self._since = self._since, 0
        return count
