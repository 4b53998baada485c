"""Requests through an HTTP proxy, as bytes and words; no I/O.

A plain ``http://`` request goes to the proxy in absolute form (``POST http://host:port/path``),
carrying ``Proxy-Authorization`` when the proxy's URL has credentials; the proxy forwards it and
its answer, so an answer may be the proxy's own (`Connection.via` says so to `interpret`). An
``https://`` request goes through a tunnel: ``CONNECT host:port`` (with the credentials), the
proxy's ``2xx``, then TLS with Pusher over it, so the proxy sees neither the request nor the
answer, and any other answer to ``CONNECT`` is the proxy's refusal: nothing was sent. The
credentials travel in that header only; a message shows the proxy as `Proxy.redacted`.
"""

from __future__ import annotations

from http import HTTPStatus

from .._requests import HttpRequest
from .._settings import Connection, Proxy


def absolute_target(connection: Connection, request: HttpRequest) -> str:
    """The request line's target for a plain request through a proxy."""
    return f"{connection.base_url}{request.target}"


def credentials(proxy: Proxy) -> tuple[tuple[str, str], ...]:
    """The header that authenticates to `proxy`, if its URL has credentials."""
    authorization = proxy.authorization
    return () if authorization is None else (("Proxy-Authorization", authorization),)


def connect_request(connection: Connection, proxy: Proxy) -> bytes:
    """``CONNECT`` for a tunnel to the connection's host and port."""
    authority = f"{connection.host}:{connection.port}"
    lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}"]
    lines += [f"{name}: {value}" for name, value in credentials(proxy)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def refusal(proxy: Proxy, status: int) -> str:
    """Why the tunnel was not opened: the proxy's answer to ``CONNECT`` (its body, which may
    echo the credentials, is not quoted)."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    return f"the proxy {proxy.redacted} answered {status} {reason}".rstrip()
