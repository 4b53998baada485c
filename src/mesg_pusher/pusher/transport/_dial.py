"""Opening a connection for a request: the name looked up, the TCP connection, the proxy's
tunnel and TLS, each failure reported with `sent=False` (nothing of the request was written).

Direct: TCP to the host (TLS over it for ``https://``). Through a proxy: TCP to the proxy (TLS
for an ``https://`` proxy); for an ``https://`` request, ``CONNECT`` and TLS with the host over
the tunnel (`_proxy` has the bytes). Certificates are checked against the host's name, or
against the proxy's for the TLS to the proxy.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Callable
from typing import Final

from ..._errors import PusherConnectionError
from .._settings import Connection, Proxy
from . import _proxy
from ._exchange import Exchange, describe, os_text
from ._http11 import ResponseParser
from ._tls import server_name
from ._tls_layer import TlsLayer

#: Addresses of a host name are reused for this long (aiohttp's default DNS cache time): a
#: request that opens a connection then skips the lookup, which goes through the loop's thread
#: pool (62 us of CPU for ``localhost`` from /etc/hosts here, about what a whole trigger costs;
#: a round trip to the resolver for other names).
DNS_SECONDS: Final = 10.0
#: Names remembered at most; the cache is emptied when full.
DNS_NAMES: Final = 1024

Address = tuple[str, int]
#: Who answers on a connection straight to the server (failures name a proxy by its URL).
SERVER: Final = "the server"


class Resolver:
    """Host names to addresses, each kept `DNS_SECONDS`; an IP address is its own."""

    def __init__(self) -> None:
        self._addresses: dict[Address, tuple[float, list[Address]]] = {}

    async def resolve(self, host: str, port: int) -> list[Address]:
        bare = server_name(host)
        if _is_ip(bare):
            return [(bare, port)]
        now = time.monotonic()
        cached = self._addresses.get((host, port))
        if cached is not None and cached[0] > now:
            return cached[1]
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(bare, port, type=socket.SOCK_STREAM)
        addresses = list(dict.fromkeys((str(info[4][0]), port) for info in infos))
        if len(self._addresses) >= DNS_NAMES:
            self._addresses.clear()
        self._addresses[(host, port)] = (now + DNS_SECONDS, addresses)
        return addresses


async def dial(
    connection: Connection,
    url: str,
    resolver: Resolver,
    context: Callable[[], ssl.SSLContext],
    buffer: memoryview,
) -> Exchange:
    """A connection ready for `connection`'s requests (`url` is what failures name);
    `context` gives the TLS context, asked only when TLS is used; `buffer` is what the
    connection reads into (see `Exchange`)."""
    proxy = connection.proxy
    peer = SERVER if proxy is None else f"the proxy {proxy.redacted}"
    host, port = (connection.host, connection.port) if proxy is None else (proxy.host, proxy.port)
    exchange = await _connect(host, port, url, resolver=resolver, peer=peer, buffer=buffer)
    try:
        if (proxy.scheme if proxy is not None else connection.scheme) == "https":
            await _handshake(exchange, context(), host, url, peer)
        if proxy is not None and connection.scheme == "https":
            await _tunnel(exchange, connection, proxy, url)
            await _handshake(exchange, context(), connection.host, url, SERVER)
    except BaseException:
        exchange.close()
        raise
    return exchange


async def _connect(
    host: str, port: int, url: str, *, resolver: Resolver, peer: str, buffer: memoryview
) -> Exchange:
    """TCP to `host`, the server's or the proxy's (`peer` names it), at the first of its
    addresses that takes the connection."""
    try:
        addresses = await resolver.resolve(host, port)
    except OSError as error:
        name = host if peer == SERVER else peer
        raise PusherConnectionError(
            url, f"could not resolve {name}: {os_text(error)}", sent=False
        ) from None
    loop = asyncio.get_running_loop()
    last: OSError | None = None
    for address, address_port in addresses:
        try:
            _, exchange = await loop.create_connection(
                lambda: Exchange(buffer), address, address_port
            )
        except OSError as error:
            last = error
            continue
        return exchange
    assert last is not None
    where = "" if peer == SERVER else f" to {peer}"
    raise PusherConnectionError(
        url, f"could not connect{where}: {os_text(last)}", sent=False
    ) from None


async def _handshake(
    exchange: Exchange, context: ssl.SSLContext, host: str, url: str, peer: str
) -> None:
    """TLS with `peer` over the connection (TLS within TLS through an ``https://`` proxy), its
    certificate checked against `host`."""
    try:
        await exchange.start_tls(TlsLayer(context, server_name(host)))
    except ssl.SSLError as error:
        # A refusal (a certificate, a version) comes again; a connection cut short may not.
        cut = isinstance(error, ssl.SSLEOFError | ssl.SSLZeroReturnError)
        raise PusherConnectionError(
            url, describe(error, peer), sent=False, lasting=not cut
        ) from None
    except OSError as error:
        # Without a code, the peer closed the connection (rather than reset it).
        detail = os_text(error) if error.errno else f"{peer} closed the connection"
        raise PusherConnectionError(
            url, f"TLS failed: {detail} during the handshake", sent=False
        ) from None


async def _tunnel(exchange: Exchange, connection: Connection, proxy: Proxy, url: str) -> None:
    """``CONNECT`` through the proxy to the server's host and port."""
    exchange.peer = f"the proxy {proxy.redacted}"
    waiter = exchange.expect(ResponseParser(tunnel=True), url)
    exchange.write(_proxy.connect_request(connection, proxy))
    try:
        status, _, clean = await waiter
    finally:
        exchange.finished()
    if not 200 <= status < 300:
        # 4xx: the proxy refuses these credentials or this destination, and will again; a 5xx
        # (it could not reach the server) may pass later.
        lasting = 400 <= status < 500 and status not in (408, 429)
        raise PusherConnectionError(url, _proxy.refusal(proxy, status), sent=False, lasting=lasting)
    if not clean:
        detail = f"the proxy {proxy.redacted} sent bytes after its answer to CONNECT"
        raise PusherConnectionError(url, detail, sent=False)
    exchange.peer = SERVER


def _is_ip(host: str) -> bool:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except OSError:
            continue
        return True
    return False
