"""The debug console's edge: the page at ``/``, its live feed at ``/debug/feed`` (a websocket)
and ``/debug/trigger``, which sends a test event through the same rules as the HTTP API.

The page shows app ids and keys, never secrets. Every one of these endpoints answers only
requests naming this server in ``Host`` and coming from its own page when they carry an
``Origin`` (see ``_origins.py``), so neither another site open in the same browser nor a DNS
rebinding of its name can read the feed or publish; the trigger endpoint takes JSON only.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from importlib import resources
from typing import Any

from aiohttp import web

from .._json import dumps, loads
from ._api_rules import ApiError, Publish, read_trigger
from ._broker import Broker
from ._origins import console_refusal, own_names

_PAGE = "debug.html"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class DebugConsole:
    """The console's routes; `host` is the address the server listens on, whose name (with
    loopback, the address a connection came in on and ``settings.console_hosts``) the
    console answers to."""

    def __init__(self, broker: Broker, host: str | None = None) -> None:
        self.broker = broker
        self._names = own_names(host, extra=broker.settings.console_hosts)
        self._page = resources.files(__package__).joinpath("static", _PAGE).read_bytes()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self._own_page_only(self.page, json=False))
        app.router.add_get("/debug/feed", self._own_page_only(self.feed))
        app.router.add_get("/debug/state", self._own_page_only(self.state))
        app.router.add_post("/debug/trigger", self._own_page_only(self.trigger))

    def _own_page_only(self, handler: Handler, *, json: bool = True) -> Handler:
        """`handler` behind the check of ``Host`` and ``Origin``: 403 for any other page."""

        async def guarded(request: web.Request) -> web.StreamResponse:
            arrived_on = request.transport.get_extra_info("sockname") if request.transport else None
            names = self._names | own_names(arrived_on[0] if arrived_on else None)
            refusal = console_refusal(
                request.headers.get("Host"), request.headers.get("Origin"), names, request.scheme
            )
            if refusal is None:
                return await handler(request)
            if json:
                return _answer(403, {"error": refusal})
            return web.Response(status=403, text=refusal + "\n", content_type="text/plain")

        return guarded

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self._page,
            content_type="text/html",
            charset="utf-8",
            headers={"Cache-Control": "no-store"},
        )

    async def state(self, request: web.Request) -> web.Response:
        payload = {"state": self.broker.snapshot(), "log": self.broker.debug.history}
        return web.Response(text=dumps(payload), content_type="application/json")

    async def feed(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(heartbeat=30)
        await ws.prepare(request)
        queue = self.broker.debug.listen()
        pump = asyncio.create_task(_pump(queue, ws))
        try:
            # Reading is how a page's close is seen (and answered); the page sends nothing else.
            async for _ in ws:
                pass
        finally:
            pump.cancel()
            self.broker.debug.stop_listening(queue)
            if not ws.closed:
                await ws.close()
        return ws

    async def trigger(self, request: web.Request) -> web.Response:
        if request.content_type != "application/json":
            return _answer(415, {"error": "send the test event as application/json"})
        try:
            form = loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return _answer(400, {"error": "the request is not JSON"})
        if not isinstance(form, dict):
            return _answer(400, {"error": "the request is not a JSON object"})
        app_id = str(form.get("app", ""))
        app = self.broker.settings.app_by_id(app_id)
        if app is None:
            self._record(app_id, 404, "Unknown app_id")
            return _answer(404, {"error": f"Unknown app_id: {app_id}"})
        body = {"name": form.get("event"), "channel": form.get("channel"), "data": form.get("data")}
        try:
            publish = read_trigger(dumps(body).encode("utf-8"), self.broker.settings)
            await self.broker.publish(app, publish)
        except ApiError as error:
            self._record(app_id, error.status, error.message)
            return _answer(error.status, {"error": error.message})
        self._record(app_id, 200, "ok", [publish])
        return _answer(200, {})

    def _record(
        self, app_id: str, status: int, message: str, events: Sequence[Publish] = ()
    ) -> None:
        self.broker.record_api(
            app_id,
            method="POST",
            path=f"/apps/{app_id}/events",
            status=status,
            message=message,
            events=events,
            source="console",
        )


async def _pump(queue: asyncio.Queue[str | None], ws: web.WebSocketResponse) -> None:
    """Send the feed to the page until it ends (None: the page was too slow, or the server
    stops); then close the socket, which ends the page's reading loop."""
    with contextlib.suppress(ConnectionError, RuntimeError):
        while (text := await queue.get()) is not None and not ws.closed:
            await ws.send_str(text)
        await ws.close()


def _answer(status: int, payload: dict[str, Any]) -> web.Response:
    return web.Response(status=status, text=dumps(payload), content_type="application/json")
