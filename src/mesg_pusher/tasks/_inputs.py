"""Task inputs (already of the types mesg.yml declares) turned into the Pusher core's values.

Pure: each function reads a JSON object and returns frozen values or raises `InputError` naming
the input. Empty strings in optional text inputs count as not given, as in the Pusher SDKs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._errors import InputError
from ..pusher import (
    App,
    BatchEvent,
    Connection,
    Event,
    check_batch_size,
    encode_data,
    limits,
    rules,
)


@dataclass(frozen=True, slots=True)
class Limits:
    """Limits applied to task inputs; dedicated Pusher clusters can agree larger ones."""

    max_data_bytes: int = limits.MAX_DATA_BYTES
    max_batch_events: int = limits.MAX_EVENTS_PER_BATCH


def app(inputs: Mapping[str, Any]) -> App:
    return App(inputs["appId"], inputs["key"], inputs["secret"])


def connection(inputs: Mapping[str, Any]) -> Connection:
    return Connection.create(
        host=inputs.get("host"),
        cluster=inputs.get("cluster"),
        encrypted=inputs.get("encrypted") or False,
        port=inputs.get("port"),
        timeout_ms=inputs.get("timeout"),
        keep_alive=inputs.get("keepAlive") or False,
        proxy=inputs.get("proxy"),
    )


def event(inputs: Mapping[str, Any], lim: Limits) -> Event:
    channel = inputs.get("channel")
    channels = inputs.get("channels")
    if channel is not None and channels is not None:
        raise InputError("channel", "give either channel or channels, not both")
    if channel is None and channels is None:
        raise InputError("channel", "one of channel or channels is required")
    if channel is not None:
        rules.event_channel(channel, "channel")
        names: tuple[str, ...] = (channel,)
    else:
        names = _channel_list(channels)
    return Event(
        inputs["name"],
        encode_data(inputs["data"]),
        names,
        inputs.get("socket_id") or None,
        lim.max_data_bytes,
    )


def _channel_list(channels: Any) -> tuple[str, ...]:
    if not isinstance(channels, list):
        raise InputError("channels", "an array of channel names is expected, not an object")
    for index, name in enumerate(channels):
        if not isinstance(name, str):
            raise InputError(f"channels[{index}]", "a channel name is a string")
    return tuple(channels)


_BATCH_FIELDS = (("name", "an event name"), ("channel", "a channel name"))


def batch(inputs: Mapping[str, Any], lim: Limits) -> list[BatchEvent]:
    items = inputs["batch"]
    if not isinstance(items, list):
        raise InputError("batch", "an array of events is expected, not an object")
    check_batch_size(len(items), limit=lim.max_batch_events)
    return [_batch_event(item, index, lim) for index, item in enumerate(items)]


def _batch_event(item: Any, index: int, lim: Limits) -> BatchEvent:
    where = f"batch[{index}]"
    if not isinstance(item, dict):
        raise InputError(where, "an event is an object with name, channel and data")
    for field, what in _BATCH_FIELDS:
        if item.get(field) is None:
            raise InputError(f"{where}.{field}", "is required")
        if not isinstance(item[field], str):
            raise InputError(f"{where}.{field}", f"{what} is a string")
    if item.get("data") is None:
        raise InputError(f"{where}.data", "is required")
    socket_id = item.get("socket_id")
    if socket_id is not None and not isinstance(socket_id, str):
        raise InputError(f"{where}.socket_id", "a socket id is a string")
    try:
        return BatchEvent(
            item["name"],
            item["channel"],
            encode_data(item["data"]),
            socket_id or None,
            lim.max_data_bytes,
        )
    except InputError as error:
        raise error.within(where) from None
