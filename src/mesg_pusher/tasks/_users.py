"""``sendToUser`` and ``terminateUserConnections``: what reaches, or ends, every connection
signed in as one user."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from ..pusher import (
    App,
    encode_data,
    publish_answer,
    terminate_answer,
    terminate_request,
    trigger_request,
    user_event,
)
from ._task import ApiTask, Call, Context


def _send_to_user(app: App, inputs: Mapping[str, Any], context: Context) -> Call:
    event = user_event(
        inputs["userId"],
        inputs["name"],
        encode_data(inputs["data"]),
        max_data_bytes=context.limits.max_data_bytes,
    )
    request = trigger_request(app, event, timestamp=context.timestamp)
    return Call(request, partial(publish_answer, info_asked=False))


def _terminate(app: App, inputs: Mapping[str, Any], context: Context) -> Call:
    request = terminate_request(app, inputs["userId"], timestamp=context.timestamp)
    return Call(request, terminate_answer)


SEND_TO_USER = ApiTask("sendToUser", _send_to_user)
TERMINATE_USER_CONNECTIONS = ApiTask("terminateUserConnections", _terminate)
