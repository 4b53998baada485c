"""The admin address: ``GET /health`` and ``GET /metrics`` for an operator, on an HTTP edge of its
own (``_http_server.py``), apart from the webhook port. The webhook port faces the internet; this
one stays on loopback unless the operator says otherwise (``--admin-listen``), so the metrics are
never public, and a flood of connections on the webhook port, which takes that edge's every
connection, leaves ``/health`` answering here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from .._json import dumps
from ..webhooks import CONTENT_TYPE
from ._http_connection import Request
from ._http_rules import Response
from ._http_server import HttpServer
from ._metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from ._metrics import Metrics
from ._stats import Stats

HEALTH_PATH: Final = "/health"
METRICS_PATH: Final = "/metrics"
#: Connections the admin address holds at once: a health check and a few scrapers need one
#: each; past it, the oldest idle one makes room (as on the webhook port).
ADMIN_CONNECTIONS: Final = 64
#: Bytes of request bodies read at once: its requests have none.
ADMIN_READING_BYTES: Final = 64 * 1024
Health = Callable[[], tuple[int, dict[str, str]]]


class AdminListener:
    """Serves `health` and `metrics` on `host`:`port` (0: a free port); what its edge refuses
    on its own is counted in `stats` (``admin_refused``)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        health: Health,
        metrics: Metrics,
        stats: Stats,
        server: HttpServer | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self._health = health
        self._metrics = metrics
        self.server = server or HttpServer(
            max_reading_bytes=ADMIN_READING_BYTES,
            max_connections=ADMIN_CONNECTIONS,
            refused=stats.admin_refused,
        )

    @property
    def url(self) -> str:
        """The base URL, with the port actually taken."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Listen; OSError when the address cannot be taken."""
        routes = {
            HEALTH_PATH: {"GET": self._health_check},
            METRICS_PATH: {"GET": self._metrics_page},
        }
        _, self.port = await self.server.listen(self.host, self.port, routes)

    async def close(self) -> None:
        await self.server.close()

    async def _health_check(self, request: Request) -> Response:
        status, body = self._health()
        return Response(status, dumps(body).encode(), CONTENT_TYPE)

    async def _metrics_page(self, request: Request) -> Response:
        return Response(200, self._metrics.render(), METRICS_CONTENT_TYPE)
