"""The package's public surface is explicit, sorted and importable."""

from __future__ import annotations

import mesg_pusher.local_server as local_server


def test_all_is_sorted_and_complete() -> None:
    assert local_server.__all__ == sorted(local_server.__all__, key=lambda n: (not n.isupper(), n))
    assert set(local_server.__all__) == {
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
        "add_commands",
        "create_app",
        "parse_app",
        "presence_data",
    }
    for name in local_server.__all__:
        assert getattr(local_server, name) is not None


def test_default_app_works_with_the_official_python_sdk() -> None:
    # The official SDK accepts only numeric app ids, so the default app has one.
    assert local_server.DEFAULT_APP.app_id.isdigit()
