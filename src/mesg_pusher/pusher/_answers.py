"""Pusher's answers, as `interpret` parsed them, turned into each task's ``success`` data.

`interpret` alone reads statuses; these functions see only 2xx answers. Query outputs carry the
attributes Pusher returned, no more (an attribute the output does not declare is left out, so the
output always matches mesg.yml). An answer without what its endpoint always returns is a
`PusherError`, never a success with made-up data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .._errors import PusherError

SENT: Final = "sent"
TERMINATED: Final = "terminated"
#: What ``GET channels/<name>`` may add to ``occupied``, and the JSON type of each.
_CHANNEL_ATTRIBUTES: Final = (("user_count", int), ("subscription_count", int), ("cache", dict))


def publish_answer(answer: Mapping[str, Any], *, info_asked: bool) -> dict[str, Any]:
    """``trigger`` and ``sendToUser``: ``{"message": "sent"}``, plus ``channels`` (name to
    attributes) when `info` was asked and Pusher gave them."""
    data: dict[str, Any] = {"message": SENT}
    channels = answer.get("channels")
    if info_asked and isinstance(channels, dict):
        data["channels"] = channels
    return data


def batch_answer(answer: Mapping[str, Any], *, info_asked: bool) -> dict[str, Any]:
    """``triggerBatch``: ``{"message": "sent"}``, plus ``batch`` (item i answers event i) when
    an event asked for `info` and Pusher gave it."""
    data: dict[str, Any] = {"message": SENT}
    batch = answer.get("batch")
    if info_asked and isinstance(batch, list):
        data["batch"] = batch
    return data


def terminate_answer(answer: Mapping[str, Any]) -> dict[str, Any]:
    """``terminateUserConnections``: Pusher answers ``{}``."""
    return {"message": TERMINATED}


def channels_answer(answer: Mapping[str, Any]) -> dict[str, Any]:
    """``channels``: ``{"channels": {name: attributes}}`` as Pusher gave it."""
    channels = answer.get("channels")
    if not isinstance(channels, dict) or not all(isinstance(v, dict) for v in channels.values()):
        raise _malformed("channels", "channels object (name to attributes)")
    return {"channels": channels}


def channel_answer(answer: Mapping[str, Any]) -> dict[str, Any]:
    """``channel``: ``occupied``, plus the attributes Pusher returned."""
    occupied = answer.get("occupied")
    if not isinstance(occupied, bool):
        raise _malformed("channel", "occupied (true or false)")
    data: dict[str, Any] = {"occupied": occupied}
    for name, kind in _CHANNEL_ATTRIBUTES:
        value = answer.get(name)
        if isinstance(value, kind) and not isinstance(value, bool):
            data[name] = value
    return data


def users_answer(answer: Mapping[str, Any]) -> dict[str, Any]:
    """``users``: ``{"users": [{"id": ...}, ...]}`` as Pusher gave it."""
    users = answer.get("users")
    if not isinstance(users, list) or not all(isinstance(u, dict) for u in users):
        raise _malformed("users", "users array")
    return {"users": users}


def _malformed(task: str, expected: str) -> PusherError:
    return PusherError(f"Pusher's answer to the {task} query has no {expected}")
