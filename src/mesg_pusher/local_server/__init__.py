"""An embedded local Pusher server, strict like the real one, with a live debug console.

`LocalServer` serves the HTTP API (``/apps/<id>/...``), the websocket protocol 7
(``/app/<key>``) and the debug console (``/``) from one aiohttp application; `Subscriber` is a
small protocol-7 client for programs and tests that want to see events arrive, and the
``subscribe`` command's. Both are imported on first use, so registering the ``local-server`` and
``subscribe`` commands costs other commands nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes
from ._api_rules import ApiError, Publish
from ._cli import add_commands
from ._config import (
    DEFAULT_APP,
    DEFAULT_LISTEN_HOST,
    DEFAULT_PORT,
    AppOptions,
    ServerSettings,
    parse_app,
)
from ._fault_injection import Fault, parse_fault
from ._subscribe_command import add_subscribe_command

if TYPE_CHECKING:
    from ._app import LocalServer, create_app
    from ._subscriber import ReceivedEvent, Subscriber, SubscriberError, presence_data

# aiohttp, which both need, is loaded on first use: loaded with the package, it made every
# command's start (``mesg-pusher --help``, ``local-server --help``) about 300 ms of CPU slower,
# 370 -> 670 ms (medians of 20 interleaved runs on 2 busy cores).
_LAZY = {
    "LocalServer": "_app",
    "create_app": "_app",
    "ReceivedEvent": "_subscriber",
    "Subscriber": "_subscriber",
    "SubscriberError": "_subscriber",
    "presence_data": "_subscriber",
}

__all__ = [
    "DEFAULT_APP",
    "DEFAULT_LISTEN_HOST",
    "DEFAULT_PORT",
    "ApiError",
    "AppOptions",
    "Fault",
    "LocalServer",
    "Publish",
    "ReceivedEvent",
    "ServerSettings",
    "Subscriber",
    "SubscriberError",
    "add_commands",
    "add_subscribe_command",
    "create_app",
    "parse_app",
    "parse_fault",
    "presence_data",
]

__getattr__ = lazy_attributes(__name__, _LAZY)
