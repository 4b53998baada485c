"""The service's HTTP listener (aiohttp's server): ``POST /webhooks`` for Pusher's webhooks,
``GET /health`` and ``GET /metrics`` for an operator. A thin edge: the body is read (never more
than the receiver takes, never longer than its answer may wait) and handed to
`WebhookReceiver`, whose answer is written back as it is.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Final

from aiohttp import web

from .._json import dumps
from ..webhooks import (
    CONTENT_TYPE,
    KEY_HEADER,
    MAX_BODY_BYTES,
    SIGNATURE_HEADER,
    Outcome,
    WebhookRefused,
)
from ._metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from ._metrics import Metrics
from ._receiver import ANSWER_WITHIN, WebhookReceiver

WEBHOOKS_PATH: Final = "/webhooks"
HEALTH_PATH: Final = "/health"
METRICS_PATH: Final = "/metrics"
#: Seconds the server gives requests still open when it closes (all have been answered by then).
SHUTDOWN_SECONDS: Final = 0.5
Health = Callable[[], tuple[int, dict[str, str]]]


class Listener:
    """Serves `receiver`, `health` and `metrics` on `host`:`port` (0: a free port)."""

    def __init__(
        self,
        host: str,
        port: int,
        receiver: WebhookReceiver,
        *,
        health: Health,
        metrics: Metrics,
        max_body_bytes: int = MAX_BODY_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.host = host
        self.port = port
        self._receiver = receiver
        self._health = health
        self._metrics = metrics
        self._max_body_bytes = max_body_bytes
        self._clock = clock
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """The base URL, with the port actually taken."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Listen; OSError when the address cannot be taken."""
        app = web.Application()
        app.router.add_post(WEBHOOKS_PATH, self._webhook)
        app.router.add_get(HEALTH_PATH, self._health_check)
        app.router.add_get(METRICS_PATH, self._metrics_page)
        runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_SECONDS
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        if self.port == 0:
            self.port = int(runner.addresses[0][1])

    async def close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _webhook(self, request: web.Request) -> web.Response:
        arrived = self._clock()  # the answer is due within ANSWER_WITHIN of this, reading included
        key = request.headers.get(KEY_HEADER)
        try:
            async with asyncio.timeout(ANSWER_WITHIN):
                body = await _read(request, self._max_body_bytes + 1)
        except TimeoutError:
            refused = WebhookRefused(
                Outcome.NOT_A_WEBHOOK, f"the body did not arrive within {ANSWER_WITHIN:g} s"
            )
            given = self._receiver.refused(refused, key, arrived=arrived)
        else:
            signature = request.headers.get(SIGNATURE_HEADER)
            given = await self._receiver.receive(key, signature, body, arrived=arrived)
        return web.Response(status=given.status, body=given.body, content_type=CONTENT_TYPE)

    async def _health_check(self, request: web.Request) -> web.Response:
        status, body = self._health()
        return web.Response(status=status, body=dumps(body).encode(), content_type=CONTENT_TYPE)

    async def _metrics_page(self, request: web.Request) -> web.Response:
        response = web.Response(body=self._metrics.render())
        response.headers["Content-Type"] = METRICS_CONTENT_TYPE
        return response


async def _read(request: web.Request, limit: int) -> bytes:
    """The body, or its first `limit` bytes when it is longer (the rest is never read: the
    receiver refuses the body as too large)."""
    if request.content_length is not None and request.content_length <= limit:
        try:
            return await request.content.readexactly(request.content_length)
        except asyncio.IncompleteReadError as short:  # the sender went away: refused as it is
            return short.partial
    parts: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        parts.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(parts)[:limit]
