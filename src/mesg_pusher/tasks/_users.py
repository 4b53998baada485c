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
    return Call(
        lambda timestamp: trigger_request(app, event, timestamp=timestamp),
        partial(publish_answer, info_asked=False),
    )


def _terminate(app: App, inputs: Mapping[str, Any], context: Context) -> Call:
    user_id = inputs["userId"]  # its rule is checked as it is signed, before it is sent
    return Call(
        lambda timestamp: terminate_request(app, user_id, timestamp=timestamp), terminate_answer
    )


SEND_TO_USER = ApiTask("sendToUser", _send_to_user, publishes=True)
TERMINATE_USER_CONNECTIONS = ApiTask("terminateUserConnections", _terminate)
