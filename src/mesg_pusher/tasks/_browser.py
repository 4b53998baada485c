"""``authorizeChannel`` and ``authenticateUser``: the answers an app's auth endpoint gives
pusher-js, made here with no network call; they need only the app's key and secret. The channel
data signed for a presence member is noted (`Context.members`): ``serve`` puts its ``user_info``
on the member's webhook events, which Pusher leaves without it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..pusher import authenticate_user, authorize_channel
from ._inputs import master_key
from ._task import Context, LocalTask


def _authorize_channel(inputs: Mapping[str, Any], context: Context) -> dict[str, Any]:
    answer = authorize_channel(
        key=inputs["key"],
        secret=inputs["secret"],
        socket_id=inputs["socket_id"],
        channel=inputs["channel"],
        channel_data=inputs.get("channel_data"),
        master_key=master_key(inputs),
    )
    signed = answer.get("channel_data")
    if signed is not None and context.members is not None:
        context.members.note(inputs["key"], inputs["channel"], signed, context.now_ms)
    return answer


def _authenticate_user(inputs: Mapping[str, Any], context: Context) -> dict[str, Any]:
    return authenticate_user(
        key=inputs["key"],
        secret=inputs["secret"],
        socket_id=inputs["socket_id"],
        user_data=inputs["user_data"],
    )


AUTHORIZE_CHANNEL = LocalTask("authorizeChannel", _authorize_channel, shows=("channel_data",))
AUTHENTICATE_USER = LocalTask("authenticateUser", _authenticate_user, shows=("user_data",))
