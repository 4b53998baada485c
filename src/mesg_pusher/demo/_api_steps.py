"""The demo's steps for the rest of the server API: a browser-style authorization that the
subscriber joins a presence channel with, then what Pusher knows of the channels and of the
members. They carry no credentials: ``serve`` takes them from its environment, the secure way.
Pure data, as `steps` is."""

from __future__ import annotations

from ._scenario import PUBLIC_CHANNEL, Step

PRESENCE_CHANNEL = "presence-demo-room"
MEMBER = {"user_id": "ada", "user_info": {"name": "Ada"}}


def api_steps(socket_id: str) -> list[Step]:
    """The steps, for the subscriber whose connection is `socket_id`."""
    return [
        Step(
            "authorize a browser to join a presence channel, as an app's auth endpoint answers "
            "pusher-js (no call to Pusher)",
            "authorizeChannel",
            {"socket_id": socket_id, "channel": PRESENCE_CHANNEL, "channel_data": MEMBER},
            "success",
            joins=PRESENCE_CHANNEL,
        ),
        Step(
            "who is on the presence channel",
            "users",
            {"channel": PRESENCE_CHANNEL},
            "success",
            expect={"users": [{"id": "ada"}]},
        ),
        Step(
            "which presence channels are occupied, with their user counts",
            "channels",
            {"filter_by_prefix": "presence-", "info": "user_count"},
            "success",
            expect={"channels": {PRESENCE_CHANNEL: {"user_count": 1}}},
        ),
        Step(
            "how many connections the public channel has",
            "channel",
            {"channel": PUBLIC_CHANNEL, "info": "subscription_count"},
            "success",
            expect={"occupied": True, "subscription_count": 1},
        ),
    ]
