"""`mesg_pusher.local_server`'s public surface: pinned, sorted, complete and importable."""

from __future__ import annotations

import mesg_pusher.local_server as local_server
from tests.support.surface import assert_surface


def test_surface() -> None:
    assert_surface(
        "mesg_pusher.local_server",
        {
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
        },
    )


def test_default_app_works_with_the_official_python_sdk() -> None:
    # The official SDK accepts only numeric app ids, so the default app has one.
    assert local_server.DEFAULT_APP.app_id.isdigit()
