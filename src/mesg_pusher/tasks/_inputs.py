"""Task inputs (already of the types mesg.yml declares, the environment's defaults applied)
turned into the Pusher core's values.

Pure: each function reads a JSON object and returns frozen values or raises `InputError` naming
the input. Empty strings in optional text inputs count as not given, as in the Pusher SDKs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from .._errors import InputError
from ..pusher import (
    MASTER_KEY_INPUT,
    App,
    BatchEvent,
    Connection,
    Event,
    MasterKey,
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


#: Distinct apps and connection settings remembered once built: a workflow sends the same ones
#: with every execution, and checking them again costs 4.4 µs of each (5.0 µs built, 0.6 µs
#: remembered, measured with timeit), 2% of serve's 0.205 ms overhead per execution. They
#: are keyed by the exact input values and their types (``typed``: 80, 80.0 and True differ),
#: and only what was built is remembered (a refusal raises every time), so no input skips a
#: rule.
BUILT_REMEMBERED: Final = 64
T = TypeVar("T")


def app(inputs: Mapping[str, Any]) -> App:
    return _remembered(_app, inputs["appId"], inputs["key"], inputs["secret"])


def connection(inputs: Mapping[str, Any]) -> Connection:
    return _remembered(
        _connection,
        inputs.get("host"),
        inputs.get("cluster"),
        inputs.get("encrypted") or False,
        inputs.get("port"),
        inputs.get("timeout"),
        inputs.get("keepAlive") or False,
        inputs.get("proxy"),
    )


def _remembered(build: functools._lru_cache_wrapper[T], *values: Any) -> T:
    try:
        return build(*values)
    except TypeError:  # a value that is no key (its type's rule then refuses it)
        built: T = build.__wrapped__(*values)
        return built


@functools.lru_cache(maxsize=BUILT_REMEMBERED, typed=True)
def _app(app_id: Any, key: Any, secret: Any) -> App:
    return App(app_id, key, secret)


# One argument a value: ``typed`` tells the types of arguments apart, not those inside a tuple.
@functools.lru_cache(maxsize=BUILT_REMEMBERED, typed=True)
def _connection(  # noqa: PLR0917
    host: Any, cluster: Any, encrypted: Any, port: Any, timeout: Any, keep_alive: Any, proxy: Any
) -> Connection:
    return Connection.create(
        host=host,
        cluster=cluster,
        encrypted=encrypted,
        port=port,
        timeout_ms=timeout,
        keep_alive=keep_alive,
        proxy=proxy,
    )


def master_key(inputs: Mapping[str, Any]) -> MasterKey | None:
    """The app's encryption master key, if given (as an input or by the environment)."""
    text = inputs.get(MASTER_KEY_INPUT)
    return MasterKey.from_base64(text) if text else None


def text(inputs: Mapping[str, Any], name: str) -> str | None:
    """An optional text input; the empty string counts as not given."""
    return inputs.get(name) or None


def event(inputs: Mapping[str, Any], nonce: Callable[[], bytes], max_data_bytes: int) -> Event:
    """The event of a ``trigger``: to ``channel`` or ``channels``, ``info`` asked of them, its
    data encrypted when it goes to one ``private-encrypted-`` channel (a nonce drawn then)."""
    channel = inputs.get("channel")
    channels = inputs.get("channels")
    if channel is not None and channels is not None:
        raise InputError("channel", "give either channel or channels, not both")
    if channel is None and channels is None:
        raise InputError("channel", "one of channel or channels is required")
    key = master_key(inputs)
    if channel is not None:
        encrypted = key is not None and channel.startswith(limits.ENCRYPTED_PREFIX)
        rules.event_channel(channel, "channel", encrypted=encrypted)
        names: tuple[str, ...] = (channel,)
    else:
        names = _channel_list(channels)
    return Event.create(
        inputs["name"],
        encode_data(inputs["data"]),
        names,
        socket_id=text(inputs, "socket_id"),
        info=text(inputs, "info"),
        master_key=key,
        nonce=nonce() if key is not None else None,
        max_data_bytes=max_data_bytes,
    )


def _channel_list(channels: Any) -> tuple[str, ...]:
    if not isinstance(channels, list):
        raise InputError("channels", "an array of channel names is expected, not an object")
    for index, name in enumerate(channels):
        if not isinstance(name, str):
            raise InputError(f"channels[{index}]", "a channel name is a string")
    return tuple(channels)


_BATCH_FIELDS = (("name", "an event name"), ("channel", "a channel name"))
_OPTIONAL_BATCH_FIELDS = (
    ("socket_id", "a socket id is a string"),
    ("info", "info is a string, a comma list of attributes (like subscription_count)"),
)


def batch(inputs: Mapping[str, Any], nonce: Callable[[], bytes], lim: Limits) -> list[BatchEvent]:
    """The events of a ``triggerBatch``, each with its own ``info`` and, for a
    ``private-encrypted-`` channel, its data encrypted under its own nonce."""
    items = inputs["batch"]
    if not isinstance(items, list):
        raise InputError("batch", "an array of events is expected, not an object")
    check_batch_size(len(items), limit=lim.max_batch_events)
    key = master_key(inputs)
    return [_batch_event(item, index, key, nonce, lim) for index, item in enumerate(items)]


def _batch_event(
    item: Any, index: int, key: MasterKey | None, nonce: Callable[[], bytes], lim: Limits
) -> BatchEvent:
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
    for field, rule in _OPTIONAL_BATCH_FIELDS:
        value = item.get(field)
        if value is not None and not isinstance(value, str):
            raise InputError(f"{where}.{field}", rule)
    try:
        return BatchEvent.create(
            item["name"],
            item["channel"],
            encode_data(item["data"]),
            socket_id=item.get("socket_id") or None,
            info=item.get("info") or None,
            master_key=key,
            nonce=nonce() if key is not None else None,
            max_data_bytes=lim.max_data_bytes,
        )
    except InputError as error:
        raise error.within(where) from None
