"""Who may use the debug console, as a pure function of a request's ``Host`` and ``Origin``.

The console shows every event, private ones included, and publishes test events, so only the
server's own pages may use it. Two attacks are kept out: a page of another site open in the same
browser (its ``Origin`` is foreign: a websocket or a POST carries it, and browsers apply no
same-origin rule to websockets), and DNS rebinding, where that site's own name is made to
resolve to this server (its ``Host`` is then a foreign name). So the ``Host`` must name the
server (``localhost``, a loopback address, the address the connection came in on, or a name the
operator gave), and an ``Origin``, when sent, must be the page's own: the scheme it is served
with (``http://``, or ``https://`` with TLS) and that ``Host``. Requests without ``Origin``
(curl, scripts, a browser's own page loads) pass on ``Host`` alone.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Final

from .._text import cut

#: The names every local server answers to on its debug console.
LOOPBACK_NAMES: Final = frozenset({"localhost", "127.0.0.1", "::1"})
#: Characters of a refused value quoted back, the mark of a cut included.
_SHOWN_CHARS: Final = 80


def own_names(*names: str | None, extra: Iterable[str] = ()) -> frozenset[str]:
    """The host names the console answers to: loopback, `names` (the listening address, the
    address a connection came in on) and `extra` (given by the operator). An unspecified
    address (``0.0.0.0``, ``::``) names no host, so it is left out."""
    found = set(LOOPBACK_NAMES)
    for name in (*names, *extra):
        if name and not _unspecified(name):
            found.add(_normal(name))
    return frozenset(found)


def console_refusal(
    host: str | None, origin: str | None, names: frozenset[str], scheme: str = "http"
) -> str | None:
    """Why a debug request is refused, or None when it comes from the console's own page
    (served with `scheme`)."""
    if host is None or not host:
        return "the debug console needs a Host header naming this server"
    hostname = host_name(host)
    if hostname is None or hostname not in names:
        return (
            f"the debug console answers on this server's own names only ({_listed(names)}), "
            f"not {_shown(host)}"
        )
    if origin is not None and _normal(origin) != f"{scheme}://{_normal(host)}":
        return f"the debug console accepts its own page only, not a page of {_shown(origin)}"
    return None


def host_name(host: str) -> str | None:
    """The name of a ``Host`` header (``name``, ``name:port``, ``[v6]:port``), lower-cased;
    None when it is not one of these forms."""
    host = host.strip()
    if host.startswith("["):
        name, sep, rest = host[1:].partition("]")
        if not sep or (rest and not (rest.startswith(":") and _is_port(rest[1:]))):
            return None
    else:
        if host.count(":") > 1:  # an IPv6 address without its brackets
            return None
        name, sep, port = host.partition(":")
        if sep and not _is_port(port):
            return None
    return _normal(name) or None


def _is_port(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 5


def _normal(text: str) -> str:
    return text.strip().lower()


def _unspecified(name: str) -> bool:
    try:
        return ipaddress.ip_address(name.strip("[]")).is_unspecified
    except ValueError:
        return False


def _listed(names: frozenset[str]) -> str:
    return ", ".join(sorted(names))


def _shown(text: str) -> str:
    """A value quoted in a refusal: bounded, and without characters that break a line."""
    return repr(cut(text, _SHOWN_CHARS - 1))
