"""The debug console's edge: the page at ``/``, its live feed at ``/debug/feed`` (a websocket)
and ``/debug/trigger``, which sends a test event through the same rules as the HTTP API.

The page shows app ids and keys, never secrets. The trigger endpoint accepts only JSON from the
page's own origin, so another site open in the same browser cannot publish through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from typing import Any

from aiohttp import web

from .._json import dumps, loads
from ._api_rules import ApiError, Publish, read_trigger
from ._broker import Broker

_PAGE = "debug.html"


class DebugConsole:
    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self._page = resources.files(__package__).joinpath("static", _PAGE).read_bytes()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self.page)
        app.router.add_get("/debug/feed", self.feed)
        app.router.add_get("/debug/state", self.state)
        app.router.add_post("/debug/trigger", self.trigger)

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
        try:
            while True:
                text = await queue.get()
                if text is None or ws.closed:
                    break
                await ws.send_str(text)
        except (ConnectionError, RuntimeError):
            pass
        finally:
            self.broker.debug.stop_listening(queue)
            if not ws.closed:
                await ws.close()
        return ws

    async def trigger(self, request: web.Request) -> web.Response:
        origin = request.headers.get("Origin")
        if origin is not None and origin != f"{request.scheme}://{request.host}":
            return _answer(403, {"error": "the debug console accepts events from its own page"})
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


def _answer(status: int, payload: dict[str, Any]) -> web.Response:
    return web.Response(status=status, text=dumps(payload), content_type="application/json")
