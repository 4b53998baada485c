"""The websocket edge at ``/app/<key>``: one coroutine per connection that reads frames, lets
the pure protocol checks decide, and acts through the broker.

Activity: a connection silent for the activity timeout gets a ``pusher:ping``; if nothing comes
back within the pong timeout it is closed with 4201, as Pusher does. Client events follow the
app's options and Pusher's limit: refused with Pusher's words when the app has not switched them
on, and the 11th in one second refused with 4301 (the connection stays open, as Pusher's 4300
codes leave it).
"""

from __future__ import annotations

from typing import Final

from aiohttp import WSMsgType, web

from ..pusher import App
from . import _protocol as protocol
from ._api_rules import APP_DISABLED
from ._broker import CLOSED_BY_CLIENT, Broker
from ._state import is_presence

#: Largest frame a client may send; client events are limited to the data size anyway.
MAX_FRAME_BYTES: Final = 256 * 1024


class Sockets:
    """The ``/app/<key>`` handler."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.settings = broker.settings

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/app/{key}", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=MAX_FRAME_BYTES)
        await ws.prepare(request)
        key = request.match_info["key"]
        app = self.settings.app_by_key(key)
        if app is None:
            await self._refuse(ws, protocol.APP_NOT_FOUND, f"App key {key} does not exist")
            return ws
        problem = protocol.check_protocol(request.query)
        if problem is not None:
            await self._refuse(ws, *problem)
            return ws
        if app.app_id in self.settings.disabled:
            await self._refuse(ws, protocol.APP_DISABLED, APP_DISABLED, app.app_id)
            return ws
        socket_id = self.broker.attach(app, ws, request.remote or "", request.transport)
        reason = CLOSED_BY_CLIENT
        try:
            self.broker.send(
                socket_id,
                protocol.connection_established(socket_id, self.settings.activity_timeout),
            )
            reason = await self._serve(app, socket_id, ws)
        finally:
            await self.broker.detach(socket_id, reason)
        return ws

    async def _refuse(
        self, ws: web.WebSocketResponse, code: int, message: str, app_id: str | None = None
    ) -> None:
        fields = {"app": app_id} if app_id is not None else {}
        self.broker.debug.record(
            "connection", action="refused", code=code, reason=message, **fields
        )
        await ws.send_str(protocol.error(message, code))
        await ws.close(code=code, message=protocol.close_reason(message))

    async def _serve(self, app: App, socket_id: str, ws: web.WebSocketResponse) -> str:
        pinged = False
        while True:
            timeout = self.settings.pong_timeout if pinged else self.settings.activity_timeout
            try:
                message = await ws.receive(timeout=timeout)
            except TimeoutError:
                if pinged:
                    text = "Pong reply not received"
                    seconds = f"{self.settings.pong_timeout:g}"
                    await self.broker.close_socket(
                        socket_id,
                        protocol.PONG_NOT_RECEIVED,
                        text,
                        why=f"no pong within {seconds} s of a ping",
                    )
                    return text
                pinged = True
                self.broker.send(socket_id, protocol.ping())
                continue
            if message.type == WSMsgType.TEXT:
                pinged = False
                await self._on_text(app, socket_id, ws, message.data)
            elif message.type == WSMsgType.BINARY:
                pinged = False
                self.broker.send(socket_id, protocol.error("Binary frames are not supported"))
            elif message.type == WSMsgType.CLOSE:
                code = message.data if isinstance(message.data, int) else ws.close_code
                return f"{CLOSED_BY_CLIENT} (code {code})" if code else CLOSED_BY_CLIENT
            elif message.type in (WSMsgType.CLOSING, WSMsgType.CLOSED):
                return "connection lost: closed without a close frame"
            elif message.type == WSMsgType.ERROR:
                return f"connection lost: {ws.exception()}"

    async def _on_text(
        self, app: App, socket_id: str, ws: web.WebSocketResponse, text: str
    ) -> None:
        channel: str | None = None
        client_event: protocol.ClientFrame | None = None
        try:
            frame = protocol.read_frame(text)
            event = frame.event
            if event == "pusher:ping":
                self.broker.send(socket_id, protocol.pong())
            elif event == "pusher:pong":
                pass
            elif event == "pusher:subscribe":
                if isinstance(frame.data, dict) and isinstance(frame.data.get("channel"), str):
                    channel = frame.data["channel"]
                await self._subscribe(app, socket_id, frame.data)
            elif event == "pusher:unsubscribe":
                if isinstance(frame.data, dict) and isinstance(frame.data.get("channel"), str):
                    await self.broker.unsubscribe(app, socket_id, frame.data["channel"])
            elif event == "pusher:signin":
                user_id, user_data = protocol.check_signin(
                    frame.data, key=app.key, secret=app.secret, socket_id=socket_id
                )
                self.broker.signed_in(app, socket_id, user_id)
                self.broker.send(socket_id, protocol.signin_success(user_data))
                self.broker.debug.record(
                    "signin", app=app.app_id, socket_id=socket_id, user_id=user_id
                )
                self.broker.debug.state_changed()
            elif event.startswith(protocol.CLIENT_EVENT_PREFIX):
                client_event = frame
                await self._client_event(app, socket_id, frame)
            else:
                raise protocol.Refused(f"Unsupported event received: {event}")
        except protocol.Refused as refused:
            code = refused.code
            if code is not None and 4000 <= code < 4100:  # Pusher's codes that end a connection
                await self.broker.close_socket(socket_id, code, refused.message)
            else:
                self.broker.send(socket_id, protocol.error(refused.message, refused.code))
            if client_event is not None:
                self.broker.debug.record(
                    "client_event",
                    app=app.app_id,
                    socket_id=socket_id,
                    channel=client_event.channel,
                    name=client_event.event,
                    action="refused",
                    code=code,
                    message=refused.message,
                )
            if channel is not None:
                self.broker.debug.record(
                    "subscription",
                    app=app.app_id,
                    socket_id=socket_id,
                    channel=channel,
                    action="refused",
                    message=refused.message,
                )

    async def _subscribe(self, app: App, socket_id: str, data: object) -> None:
        state = self.broker.state(app)
        sub = protocol.check_subscribe(
            data,
            key=app.key,
            secret=app.secret,
            socket_id=socket_id,
            user_id=state.user_of(socket_id),
        )
        limit = self.settings.max_presence_members
        if (
            sub.member is not None
            and is_presence(sub.channel)
            and not state.is_subscribed(socket_id, sub.channel)
            and state.would_exceed_members(sub.channel, sub.member.user_id, limit)
        ):
            raise protocol.Refused(
                f"Cannot subscribe to {sub.channel}: a presence channel has at most {limit} members"
            )
        await self.broker.subscribe(app, socket_id, sub)

    async def _client_event(self, app: App, socket_id: str, frame: protocol.ClientFrame) -> None:
        if not self.broker.options(app).client_events:
            raise protocol.Refused(protocol.CLIENT_EVENTS_OFF)
        state = self.broker.state(app)
        channel = protocol.check_client_event(
            frame,
            subscribed=frame.channel is not None and state.is_subscribed(socket_id, frame.channel),
            max_data_bytes=self.settings.max_data_bytes,
        )
        if not self.broker.client_event_allowed(socket_id):
            raise protocol.Refused(protocol.RATE_LIMITED, protocol.CLIENT_EVENT_RATE_LIMITED)
        user_id = None
        if is_presence(channel):
            user_id = state.user_of_channel(socket_id, channel)
        text = protocol.client_event(frame, channel, user_id)
        await self.broker.broadcast(app, channel, text, exclude=socket_id)
        self.broker.client_event_sent(
            app,
            socket_id=socket_id,
            channel=channel,
            event=frame.event,
            data=frame.data,
            user_id=user_id,
        )
        self.broker.debug.record(
            "client_event",
            app=app.app_id,
            socket_id=socket_id,
            channel=channel,
            name=frame.event,
            action="sent",
        )
