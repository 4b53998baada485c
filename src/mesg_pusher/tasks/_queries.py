"""``channels``, ``channel`` and ``users``: what Pusher knows of the app's channels and of the
members of a presence channel, as Pusher answers it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..pusher import (
    App,
    ChannelQuery,
    ChannelsQuery,
    channel_answer,
    channel_request,
    channels_answer,
    channels_request,
    users_answer,
    users_request,
)
from ._inputs import text
from ._task import ApiTask, Call, Context


def _channels(app: App, inputs: Mapping[str, Any], context: Context) -> Call:
    query = ChannelsQuery.create(
        filter_by_prefix=text(inputs, "filter_by_prefix"),
        info=text(inputs, "info"),
        params=inputs.get("params"),
    )
    return Call(
        lambda timestamp: channels_request(app, query, timestamp=timestamp), channels_answer
    )


def _channel(app: App, inputs: Mapping[str, Any], context: Context) -> Call:
    query = ChannelQuery.create(
        inputs["channel"], info=text(inputs, "info"), params=inputs.get("params")
    )
    return Call(lambda stamp: channel_request(app, query, timestamp=stamp), channel_answer)


def _users(app: App, inputs: Mapping[str, Any], context: Context) -> Call:
    channel = inputs["channel"]  # its rule is checked as it is signed, before it is sent
    return Call(lambda timestamp: users_request(app, channel, timestamp=timestamp), users_answer)


CHANNELS = ApiTask("channels", _channels)
CHANNEL = ApiTask("channel", _channel)
USERS = ApiTask("users", _users)
