"""The HTTP API edge: aiohttp handlers that find the app, authenticate, read the request with
the pure rules, deliver through the broker and answer as Pusher does.

Every call, accepted or refused, is recorded for the debug console with its outcome, and one
accepted counts as Pusher counts it against the app's daily quota: one message a call, one an
event of a batch, one more for a publish asking for ``info``. An app disabled or over its quota
is answered 403 once it is authenticated. Faults injected on demand (``--fault``) are drawn
once a call, before anything else: a reset before reading answers nothing; a slow answer waits
once the call is read, then is handled; a 500/503 answers instead of the call; a reset after
reading lets the call publish and loses its answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiohttp import web

from .._json import dumps
from ..pusher import App, limits
from ._api_rules import (
    CHANNEL_INFO_ATTRIBUTES,
    CHANNELS_INFO_ATTRIBUTES,
    ApiError,
    Publish,
    authenticate,
    check_channel,
    check_user_id,
    parse_info,
    read_batch,
    read_trigger,
)
from ._broker import Broker, reset
from ._cache import is_cache_channel
from ._fault_injection import (
    HTTP_500,
    HTTP_503,
    HTTP_KINDS,
    RESET_AFTER_READ,
    RESET_BEFORE_READ,
    SLOW_ANSWER,
)
from ._state import is_presence

JSON: Final = "application/json"
TEXT: Final = "text/plain"
_EMPTY: Final = b"{}"
#: What an injected 500 or 503 answers, as a load balancer in front of an API words it.
_INJECTED_ANSWERS: Final = {HTTP_500: "Internal Server Error", HTTP_503: "Service Unavailable"}

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
        """Inject the faults drawn, find and authenticate the app, refuse it 403 when disabled
        or over its quota, run `handler`, answer refusals, count and record the outcome."""

        async def guarded(request: web.Request) -> web.StreamResponse:
            app_id = request.match_info["app_id"]
            faults = self.broker.faults
            fired = {f.kind: f for f in faults.draw_all(HTTP_KINDS)} if faults else {}
            if RESET_BEFORE_READ in fired:
                self._record_fault(request, app_id, RESET_BEFORE_READ, "nothing was published")
                reset(request.transport)
                return web.Response()  # never written: the connection is gone
            try:
                body = await request.read()
            except ConnectionError:
                return web.Response()  # the client went away: nobody to answer
            slow = fired.get(SLOW_ANSWER)
            if slow is not None:
                # The call has arrived whole; it is handled late, whether or not anyone waits.
                await asyncio.sleep(slow.seconds)
            for kind, text in _INJECTED_ANSWERS.items():
                if kind in fired:
                    status = int(kind.removeprefix("http-"))
                    self.broker.record_api(
                        app_id,
                        method=request.method,
                        path=request.path,
                        status=status,
                        message=f"{text} (injected fault {kind}): nothing was published",
                        fault=kind,
                    )
                    return web.Response(status=status, text=text + "\n", content_type=TEXT)
            events: list[Publish] = []
            try:
                app = self.settings.app_by_id(app_id)
                if app is None:
                    raise ApiError(404, f"Unknown app_id: {app_id}")
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
                forbidden = self.broker.refusal_403(app)
                if forbidden is not None:
                    raise ApiError(403, forbidden)
                response, events = await handler(request, app, body)
            except ApiError as error:
                self.broker.record_api(
                    app_id,
                    method=request.method,
                    path=request.path,
                    status=error.status,
                    message=error.message,
                    fault=slow.kind if slow is not None else None,
                )
                return error_response(error)
            self.broker.count(app, _messages(request, events))
            if RESET_AFTER_READ in fired:
                self._record_fault(
                    request, app_id, RESET_AFTER_READ, "published, the answer lost", events
                )
                reset(request.transport)
                return response  # never written: the connection is gone
            self.broker.record_api(
                app_id,
                method=request.method,
                path=request.path,
                status=200,
                message="ok",
                events=events,
                fault=slow.kind if slow is not None else None,
            )
            return response

        return guarded

    def _record_fault(
        self,
        request: web.Request,
        app_id: str,
        kind: str,
        outcome: str,
        events: list[Publish] | None = None,
    ) -> None:
        self.broker.record_api(
            app_id,
            method=request.method,
            path=request.path,
            status=None,
            message=f"connection reset (injected fault {kind}): {outcome}",
            events=events or (),
            fault=kind,
        )

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
        info = parse_info(request.query.get("info", ""), known=CHANNELS_INFO_ATTRIBUTES)
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


def _messages(request: web.Request, events: list[Publish]) -> int:
    """The messages an accepted call counts, as Pusher counts them: one a call, or one an event
    of a batch, and one more for each event asking for ``info``."""
    if request.path.endswith("/batch_events"):
        return len(events) + sum(1 for event in events if event.info)
    return 1 + sum(1 for event in events if event.info)
