"""The service's webhook listener: ``POST /webhooks`` for Pusher's webhooks and nothing else
(``/health`` and ``/metrics`` have an address of their own, ``_admin.py``: this port faces the
internet), served by the HTTP edge (``_http_server.py``). A thin edge:
what can be refused from the head alone (the service stopping, no app, an unknown
``X-Pusher-Key``, a ``Content-Length`` over the limit) is answered before a byte of the body is
read; otherwise the body is read, within the byte budget over every body being read at once and
within the answer's time, and handed to `WebhookReceiver`, whose answer is written back as it is.

Why not aiohttp's server: it gives no time limit on a request's head, no limit on connections,
and logs every failed accept and malformed request with a traceback (one quoted the signature
and the body); ``docs/architecture.md`` says more.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

from ..webhooks import (
    KEY_HEADER,
    SIGNATURE_HEADER,
    WebhookOutcome,
    WebhookRefused,
    WebhookResponse,
)
from ._http_connection import Request, Unread
from ._http_rules import Response
from ._http_server import HttpServer
from ._metrics import Metrics
from ._receiver import ANSWER_WITHIN, WebhookReceiver
from ._stats import Stats

WEBHOOKS_PATH: Final = "/webhooks"
#: Bytes of webhook bodies being read at once, over every connection: eight of the largest
#: (`mesg_pusher.webhooks.MAX_BODY_BYTES`), thousands of usual ones. Past it the answer is
#: 503 (the sender retries); a body is counted from its head, by its ``Content-Length``.
MAX_READING_BYTES: Final = 16 * 1024 * 1024
#: What a webhook whose body was not read is answered.
_UNREAD: Final = {
    Unread.OVER_BUDGET: WebhookRefused(
        WebhookOutcome.BUSY, f"{MAX_READING_BYTES} bytes of bodies are being read"
    ),
    Unread.TOO_SLOW: WebhookRefused(
        WebhookOutcome.BODY_TIMEOUT, f"not within {ANSWER_WITHIN:g} s of the request"
    ),
}


class Listener:
    """Serves `receiver` on `host`:`port` (0: a free port); what the listener refuses on its
    own is counted in `stats`, and its gauges are added to `metrics`.

    `server` is the HTTP edge to serve on (by default one of its own, with the connection
    limit the open-file limit allows); `clock` gives monotonic seconds, as the receiver's does.
    """

    def __init__(
        self,
        host: str,
        port: int,
        receiver: WebhookReceiver,
        *,
        metrics: Metrics,
        stats: Stats,
        server: HttpServer | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.host = host
        self.port = port
        self._receiver = receiver
        self._clock = clock
        self.server = server or HttpServer(
            max_reading_bytes=MAX_READING_BYTES, refused=stats.listener_refused
        )
        metrics.gauges += [
            (
                "listener_connections",
                "Connections open to the listener.",
                lambda: float(self.server.connections),
            ),
            (
                "listener_connection_limit",
                "Connections the listener holds at most (from the open-file limit).",
                lambda: float(self.server.max_connections),
            ),
            (
                "webhook_bytes_reading",
                "Bytes of webhook bodies being read, by their Content-Length.",
                lambda: float(self.server.reading_bytes),
            ),
        ]

    @property
    def url(self) -> str:
        """The base URL, with the port actually taken."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Listen; OSError when the address cannot be taken."""
        routes = {WEBHOOKS_PATH: {"POST": self._webhook}}
        _, self.port = await self.server.listen(self.host, self.port, routes)

    async def close(self) -> None:
        await self.server.close()

    async def _webhook(self, request: Request) -> Response:
        arrived = self._clock()  # the answer is due within ANSWER_WITHIN of this, reading included
        head = request.head
        receiver = self._receiver
        key = head.header(KEY_HEADER)
        try:
            if receiver.stopping:
                raise WebhookRefused(WebhookOutcome.STOPPING)
            receiver.intake.check_head(key=key, size=head.content_length)
        except WebhookRefused as refused:
            return _response(receiver.refused(refused, key, arrived=arrived))
        body = await request.body(within=max(0.0, arrived + ANSWER_WITHIN - self._clock()))
        if isinstance(body, Unread):
            unread = _UNREAD[body]
            return _response(receiver.refused(unread, key, arrived=arrived))
        signature = head.header(SIGNATURE_HEADER)
        return _response(await receiver.receive(key, signature, body, arrived=arrived))


def _response(given: WebhookResponse) -> Response:
    return Response(given.status, given.body, given.content_type)
