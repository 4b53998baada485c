"""`HttpPool`: the transport the service uses, routing each request to the edge that fits it.

Plain ``http://`` requests without a proxy go through the lean edge of `_http_plain` (HTTP/1.1
on raw asyncio connections, several times cheaper per request); TLS and proxies go through
aiohttp (`_http_aiohttp`). Both count their connections against one `ConnectionBudget`, so one
`HttpPool` has at most `limit` connections open, whatever mix of endpoints it serves.

Requests with keep-alive reuse idle connections to the same scheme, host, port and proxy;
requests without it use a fresh connection each, closed after the answer.
"""

from __future__ import annotations

import ssl

from ._http_aiohttp import AiohttpTransport
from ._http_plain import PlainTransport
from ._requests import HttpRequest
from ._settings import Connection
from ._transport import DEFAULT_CONNECTION_LIMIT, Answer, ConnectionBudget


class HttpPool:
    """Shared, bounded HTTP connections for every app and endpoint; close it once at shutdown.

    `ssl_context` replaces the default certificate checks (for a private CA in tests);
    certificates are always verified. `lean=False` sends plain HTTP through aiohttp too.
    """

    def __init__(
        self,
        *,
        limit: int = DEFAULT_CONNECTION_LIMIT,
        ssl_context: ssl.SSLContext | None = None,
        lean: bool = True,
    ) -> None:
        self.budget = ConnectionBudget(limit)
        self._plain = PlainTransport(budget=self.budget) if lean else None
        self._aiohttp = AiohttpTransport(budget=self.budget, ssl_context=ssl_context)

    async def send(self, connection: Connection, request: HttpRequest) -> Answer:
        """Send `request` as `connection` says; the status and the whole body."""
        plain = self._plain
        if plain is not None and connection.proxy is None and connection.scheme == "http":
            return await plain.send(connection, request)
        return await self._aiohttp.send(connection, request)

    async def close(self) -> None:
        self.budget.close()
        if self._plain is not None:
            await self._plain.close()
        await self._aiohttp.close()
