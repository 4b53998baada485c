"""The HTTP API edge: aiohttp handlers that find the app, authenticate, read the request with
the pure rules, deliver through the broker and answer as Pusher does.

Every call, accepted or refused, is recorded for the debug console with its outcome.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiohttp import web

from .._json import dumps
from ..pusher import App, limits
from ._api_rules import (
    CHANNEL_INFO_ATTRIBUTES,
    ApiError,
    Publish,
    authenticate,
    check_channel,
    check_user_id,
    parse_info,
    read_batch,
    read_trigger,
)
from ._broker import Broker
from ._cache import is_cache_channel
from ._state import is_presence

JSON: Final = "application/json"
TEXT: Final = "text/plain"
_EMPTY: Final = b"{}"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: An endpoint gets the authenticated app and the body; it answers with the events it accepted.
Endpoint = Callable[[web.Request, App, bytes], Awaitable[tuple[web.Response, list[Publish]]]]


def json_response(payload: dict[str, Any] | None = None) -> web.Response:
    body = _EMPTY if not payload else dumps(payload).encode("utf-8")
    return web.Response(body=body, content_type=JSON)


def error_response(error: ApiError) -> web.Response:
    return web.Response(status=error.status, body=error.body, content_type=TEXT, charset="utf-8")


class Api:
    """The handlers of ``/apps/<app_id>/...``."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.settings = broker.settings

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/apps/{app_id}/events", self._guard(self.events))
        app.router.add_post("/apps/{app_id}/batch_events", self._guard(self.batch_events))
        app.router.add_get("/apps/{app_id}/channels", self._guard(self.channels))
        app.router.add_get("/apps/{app_id}/channels/{channel}", self._guard(self.channel))
        app.router.add_get("/apps/{app_id}/channels/{channel}/users", self._guard(self.users))
        app.router.add_post(
            "/apps/{app_id}/users/{user_id}/terminate_connections", self._guard(self.terminate)
        )

    def _guard(self, handler: Endpoint) -> Handler:
        """Find and authenticate the app, run `handler`, answer refusals, record the outcome."""

        async def guarded(request: web.Request) -> web.StreamResponse:
            app_id = request.match_info["app_id"]
            events: list[Publish] = []
            try:
                app = self.settings.app_by_id(app_id)
                if app is None:
                    raise ApiError(404, f"Unknown app_id: {app_id}")
                body = await request.read()
                authenticate(
                    key=app.key,
                    secret=app.secret,
                    method=request.method,
                    path=request.rel_url.raw_path,
                    params=request.query,
                    body=body,
                    now=self.broker.clock(),
                    window=self.settings.signature_window,
                )
                response, events = await handler(request, app, body)
            except ApiError as error:
                self.broker.record_api(
                    app_id,
                    method=request.method,
                    path=request.path,
                    status=error.status,
                    message=error.message,
                )
                return error_response(error)
            self.broker.record_api(
                app_id,
                method=request.method,
                path=request.path,
                status=200,
                message="ok",
                events=events,
            )
            return response

        return guarded

    async def events(
        self, request: web.Request, app: App, body: bytes
    ) -> tuple[web.Response, list[Publish]]:
        publish = read_trigger(body, self.settings)
        info = await self.broker.publish(app, publish)
        return json_response({"channels": info} if publish.info else None), [publish]

    async def batch_events(
        self, request: web.Request, app: App, body: bytes
    ) -> tuple[web.Response, list[Publish]]:
        batch = read_batch(body, self.settings)
        answers = [await self.broker.publish(app, publish) for publish in batch]
        if not any(publish.info for publish in batch):
            return json_response(), batch
        items = [
            answer[publish.channels[0]] if answer else {}
            for publish, answer in zip(batch, answers, strict=True)
        ]
        return json_response({"batch": items}), batch

    async def channels(
        self, request: web.Request, app: App, body: bytes
    ) -> tuple[web.Response, list[Publish]]:
        prefix = request.query.get("filter_by_prefix", "")
        info = parse_info(request.query.get("info", ""))
        if "user_count" in info and not prefix.startswith(limits.PRESENCE_PREFIX):
            raise ApiError(
                400,
                "info=user_count needs filter_by_prefix=presence- "
                "(user counts exist on presence channels only)",
            )
        state = self.broker.state(app)
        listed = {
            name: self.broker.channel_info(app, name, info) for name in state.occupied(prefix)
        }
        return json_response({"channels": listed}), []

    async def channel(
        self, request: web.Request, app: App, body: bytes
    ) -> tuple[web.Response, list[Publish]]:
        name = request.match_info["channel"]
        check_channel(name, "channel")
        info = parse_info(request.query.get("info", ""), known=CHANNEL_INFO_ATTRIBUTES)
        if "user_count" in info and not is_presence(name):
            raise ApiError(400, "info=user_count is only available for presence channels")
        if "cache" in info and not is_cache_channel(name):
            # Pusher refuses an attribute the channel cannot have, as for user_count above.
            raise ApiError(
                400,
                "info=cache is only available for cache channels (cache-, private-cache-, "
                "private-encrypted-cache-, presence-cache-)",
            )
        state = self.broker.state(app)
        answer: dict[str, Any] = {"occupied": state.subscription_count(name) > 0}
        answer.update(self.broker.channel_info(app, name, info))
        return json_response(answer), []

    async def users(
        self, request: web.Request, app: App, body: bytes
    ) -> tuple[web.Response, list[Publish]]:
        name = request.match_info["channel"]
        check_channel(name, "channel")
        if not is_presence(name):
            raise ApiError(400, "Users can only be listed for presence channels")
        users = [{"id": user_id} for user_id in self.broker.state(app).user_ids(name)]
        return json_response({"users": users} if users else {"users": []}), []

    async def terminate(
        self, request: web.Request, app: App, body: bytes
    ) -> tuple[web.Response, list[Publish]]:
        check_user_id(request.match_info["user_id"], "user_id")
        await self.broker.terminate_user(app, request.match_info["user_id"])
        return json_response(), []
