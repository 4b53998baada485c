"""`PusherClient`: the pure core and the HTTP edge joined for one app, for use from Python code.

The MESG tasks use the same pieces with per-execution settings; this class is the convenient
form for a program that publishes as one app many times.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ._http import HttpPool
from ._requests import (
    BatchEvent,
    Event,
    HttpRequest,
    batch_request,
    encode_data,
    trigger_request,
)
from ._responses import interpret
from ._settings import App, Connection
from ._transport import Transport


class PusherClient:
    """Publishes events as one Pusher app over one connection setting.

    `http` (any `Transport`, an `HttpPool` by default) may be shared between clients; a client
    that made its own closes it in `close`.
    `clock` returns Unix time in seconds and signs each request.
    """

    def __init__(
        self,
        app: App,
        connection: Connection,
        *,
        http: Transport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self.connection = connection
        self._http: Transport = http if http is not None else HttpPool()
        self._owns_http = http is None
        self._clock = clock

    async def trigger(
        self,
        channels: str | Iterable[str],
        name: str,
        data: Any,
        *,
        socket_id: str | None = None,
    ) -> dict[str, Any]:
        """Publish `data` as event `name` on `channels`; Pusher's JSON answer."""
        names = (channels,) if isinstance(channels, str) else tuple(channels)
        event = Event(name, encode_data(data), names, socket_id)
        return await self.send(trigger_request(self.app, event, timestamp=int(self._clock())))

    async def trigger_batch(self, events: Sequence[BatchEvent]) -> dict[str, Any]:
        """Publish up to ten events in one call; Pusher's JSON answer."""
        request = batch_request(self.app, events, timestamp=int(self._clock()))
        return await self.send(request)

    async def send(self, request: HttpRequest) -> dict[str, Any]:
        status, body = await self._http.send(self.connection, request)
        return interpret(status, body, self.connection.via)

    async def close(self) -> None:
        if self._owns_http:
            await self._http.close()

    async def __aenter__(self) -> PusherClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
