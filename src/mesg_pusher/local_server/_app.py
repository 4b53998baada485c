"""Wiring: the aiohttp application of a local server, and `LocalServer`, which runs it in the
current event loop and tells the port it got.

    async with LocalServer(ServerSettings(), port=0) as server:
        print(server.url, server.ws_url, server.port)

Given an `ssl.SSLContext` it serves ``https://`` and ``wss://`` instead.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web

from ..pusher import App
from ._api import Api
from ._broker import Broker
from ._config import DEFAULT_LISTEN_HOST, ServerSettings, url_host
from ._debug import DebugConsole
from ._ws import Sockets

BROKER_KEY: Final = web.AppKey("broker", Broker)
#: Seconds open connections get to finish when the server stops.
SHUTDOWN_TIMEOUT: Final = 2.0


@web.middleware
async def _plain_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Unknown paths and methods answer in plain text, as Pusher's API does."""
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge:
        return web.Response(status=413, text="Request body too large\n", content_type="text/plain")
    except web.HTTPMethodNotAllowed as error:
        return web.Response(
            status=405,
            text=f"Method not allowed: {request.method} {request.path}\n",
            headers={"Allow": ",".join(sorted(error.allowed_methods))},
            content_type="text/plain",
        )
    except web.HTTPNotFound:
        return web.Response(status=404, text="Not found\n", content_type="text/plain")


def create_app(
    settings: ServerSettings | None = None,
    *,
    clock: Callable[[], float] = time.time,
    host: str | None = None,
) -> web.Application:
    """The aiohttp application of a local Pusher server; its `Broker` is ``app[BROKER_KEY]``.
    `host` is the address it listens on: the debug console answers to that name too."""
    settings = settings if settings is not None else ServerSettings()
    broker = Broker(settings, clock=clock)
    # A batch of events at the data limit, JSON-escaped, fits; Pusher's own cap is similar.
    body_limit = max(1 << 20, settings.max_batch_events * settings.max_data_bytes * 7 + 65536)
    app = web.Application(client_max_size=body_limit, middlewares=[_plain_errors])
    app[BROKER_KEY] = broker
    Api(broker).add_routes(app)
    Sockets(broker).add_routes(app)
    DebugConsole(broker, host).add_routes(app)

    async def close_sockets(_: web.Application) -> None:
        await broker.close_all()

    app.on_shutdown.append(close_sockets)
    if broker.webhooks is not None:
        app.on_startup.append(broker.webhooks.on_startup)
        app.on_cleanup.append(broker.webhooks.on_cleanup)
    return app


class LocalServer:
    """A local Pusher server running in the current event loop.

    `port` 0 asks the OS for a free port; `start` returns the port bound. Use it as an async
    context manager, or call `start` and `stop`.
    """

    def __init__(
        self,
        settings: ServerSettings | None = None,
        *,
        host: str = DEFAULT_LISTEN_HOST,
        port: int = 0,
        clock: Callable[[], float] = time.time,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.settings = settings if settings is not None else ServerSettings()
        self.host = host
        self.ssl_context = ssl_context
        self._requested_port = port
        self.app = create_app(self.settings, clock=clock, host=host)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    @property
    def broker(self) -> Broker:
        return self.app[BROKER_KEY]

    @property
    def apps(self) -> tuple[App, ...]:
        return self.settings.apps

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the server is not started")
        return self._port

    @property
    def url(self) -> str:
        """The HTTP base URL: the API is under ``/apps/<id>``, the debug console at ``/``."""
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{url_host(self.host)}:{self.port}"

    @property
    def ws_url(self) -> str:
        scheme = "wss" if self.ssl_context is not None else "ws"
        return f"{scheme}://{url_host(self.host)}:{self.port}"

    async def start(self) -> int:
        if self._runner is not None:
            return self.port
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port, ssl_context=self.ssl_context)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        address = runner.addresses[0]
        self._port = int(address[1])
        return self._port

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> LocalServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
