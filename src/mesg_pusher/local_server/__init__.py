"""An embedded local Pusher server, strict like the real one, with a live debug console.

`LocalServer` serves the HTTP API (``/apps/<id>/...``), the websocket protocol 7
(``/app/<key>``) and the debug console (``/``) from one aiohttp application; `Subscriber` is a
small protocol-7 client for programs and tests that want to see events arrive.
"""

from ._api_rules import ApiError, Publish
from ._app import LocalServer, create_app
from ._config import DEFAULT_APP, DEFAULT_HOST, DEFAULT_PORT, ServerSettings, parse_app
from ._subscriber import ReceivedEvent, Subscriber, SubscriberError, presence_data

__all__ = [
    "DEFAULT_APP",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "ApiError",
    "LocalServer",
    "Publish",
    "ReceivedEvent",
    "ServerSettings",
    "Subscriber",
    "SubscriberError",
    "create_app",
    "parse_app",
    "presence_data",
]
