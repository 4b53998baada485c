"""Task inputs (already of the types mesg.yml declares, the environment's defaults applied)
turned into the Pusher core's values, and the core's words turned into the inputs' names.

Pure: each function reads a JSON object and returns frozen values or raises `InputError` naming
the input. Empty strings in optional text inputs count as not given, as in the Pusher SDKs.
The core names its settings as Pusher does (``app_id``, ``keep_alive``); where an input's name
differs (`SETTINGS`), `in_input_words` renames the core's errors and the environment's defaults
are applied under the inputs' names.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, TypeVar

from .._errors import InputError, InputsInvalid
from ..pusher import (
    MASTER_KEY,
    App,
    BatchEvent,
    Connection,
    Event,
    MasterKey,
    batch_events,
    encode_data,
    limits,
    rules,
    variables_for,
)
from ._secret_inputs import MASTER_KEY_INPUT

#: The Pusher core's names for what a task input carries, where the input's name differs.
SETTINGS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "appId": "app_id",
        "encrypted": "tls",
        "timeout": "timeout_ms",
        "keepAlive": "keep_alive",
        MASTER_KEY_INPUT: MASTER_KEY,
        "userId": "user_id",
        "maxDataBytes": "max_data_bytes",
        "maxBatchEvents": "max_batch_events",
    }
)
#: The same, from the core's name to the input's.
INPUTS: Final[Mapping[str, str]] = MappingProxyType({v: k for k, v in SETTINGS.items()})


def as_inputs(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Settings of the Pusher core (the environment's, say) under the inputs' names, where the
    secrets they hold are looked for."""
    return {INPUTS.get(name, name): value for name, value in settings.items()}


def in_input_words(error: InputError) -> InputError:
    """`error` as the task's inputs name things: the input it names (the first part of its
    path) and a ``give <name>`` in its rule, where the core's name differs."""
    if isinstance(error, InputsInvalid):
        return error  # the engine's words, about the inputs already
    head, dot, rest = error.input.partition(".")
    head, bracket, index = head.partition("[")
    renamed = INPUTS.get(head, head) + bracket + index + dot + rest
    rule = error.rule
    for setting, name in INPUTS.items():
        rule = rule.replace(f"give {setting}", f"give {name}")
    if renamed == error.input and rule == error.rule:
        return error
    return InputError(renamed, rule)


def missing_input(name: str) -> InputError:
    """The error for a required connection input that neither the execution nor the
    environment gives, naming both the input and its variables."""
    variables = variables_for(SETTINGS.get(name, name))
    return InputError(
        name, f"is required: give the input {name}, or set {variables} in the service's environment"
    )


def require_inputs(inputs: Mapping[str, Any], names: Sequence[str]) -> None:
    """Refuse `inputs` (defaults applied) without one of `names` (like appId, key, secret)."""
    for name in names:
        value = inputs.get(name)
        if value is None or value == "":
            raise missing_input(name)


@dataclass(frozen=True, slots=True)
class Limits:
    """Limits applied to task inputs; dedicated Pusher clusters and self-hosted servers take
    larger ones (``maxDataBytes``, ``maxBatchEvents``)."""

    max_data_bytes: int = limits.MAX_DATA_BYTES
    max_batch_events: int = limits.MAX_EVENTS_PER_BATCH


#: The input that names an execution for the memory of what was published.
IDEMPOTENCY_KEY: Final = "idempotencyKey"
#: How many times a failed call is tried again when neither ``retries`` nor ``PUSHER_RETRIES``
#: says.
DEFAULT_RETRIES: Final = 2


def retries(inputs: Mapping[str, Any]) -> int:
    """How many times a failed call of the execution may be tried again."""
    value = inputs.get("retries")
    if value is None:
        return DEFAULT_RETRIES
    return rules.whole_number(value, "retries", 0, limits.MAX_RETRIES)


def execution_limits(inputs: Mapping[str, Any], base: Limits) -> Limits:
    """The limits of one execution: `base`, raised (or lowered) by ``maxDataBytes`` and
    ``maxBatchEvents``."""
    data_bytes = inputs.get("maxDataBytes")
    batch_events = inputs.get("maxBatchEvents")
    if data_bytes is None and batch_events is None:
        return base
    return Limits(
        base.max_data_bytes
        if data_bytes is None
        else rules.whole_number(data_bytes, "maxDataBytes", 1, limits.DATA_BYTES_CEILING),
        base.max_batch_events
        if batch_events is None
        else rules.whole_number(batch_events, "maxBatchEvents", 1, limits.BATCH_EVENTS_CEILING),
    )


def split(inputs: Mapping[str, Any]) -> bool:
    """Whether the execution may be sent in several calls (``split: true``)."""
    return inputs.get("split") is True


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
        tls=encrypted,
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
    names, key = _event_channels(inputs)
    if len(names) > limits.MAX_CHANNELS_PER_EVENT:
        raise InputError(
            "channels",
            f"an event goes to at most {limits.MAX_CHANNELS_PER_EVENT} channels (got "
            f"{len(names)}); with split: true it is sent in calls of "
            f"{limits.MAX_CHANNELS_PER_EVENT}",
        )
    return _event(inputs, names, key, nonce, max_data_bytes)


def split_events(
    inputs: Mapping[str, Any], nonce: Callable[[], bytes], max_data_bytes: int
) -> list[Event]:
    """The events of a ``trigger`` with ``split: true``: the same event to each run of at most
    100 of its channels, in their order (one event when they fit)."""
    names, key = _event_channels(inputs)
    if len(names) <= limits.MAX_CHANNELS_PER_EVENT:
        return [_event(inputs, names, key, nonce, max_data_bytes)]
    # Every name checked where the whole list names it (channels[150]), then each run.
    rules.channel_names(names, "channels", limit=len(names))
    size = limits.MAX_CHANNELS_PER_EVENT
    return [
        _event(inputs, names[start : start + size], None, nonce, max_data_bytes)
        for start in range(0, len(names), size)
    ]


def _event_channels(inputs: Mapping[str, Any]) -> tuple[tuple[str, ...], MasterKey | None]:
    """The channels of a ``trigger``'s event, and the master key when it is encrypted."""
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
        return (channel,), key
    return _channel_list(channels), key


def _event(
    inputs: Mapping[str, Any],
    names: tuple[str, ...],
    key: MasterKey | None,
    nonce: Callable[[], bytes],
    max_data_bytes: int,
) -> Event:
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


def batch(
    inputs: Mapping[str, Any], nonce: Callable[[], bytes], lim: Limits, *, split: bool = False
) -> list[BatchEvent]:
    """The events of a ``triggerBatch``, each with its own ``info`` and, for a
    ``private-encrypted-`` channel, its data encrypted under its own nonce. More than
    ``maxBatchEvents`` only when the execution is `split`."""
    items = inputs["batch"]
    if not isinstance(items, list):
        raise InputError("batch", "an array of events is expected, not an object")
    most = lim.max_batch_events
    if not split and len(items) > most:
        raise InputError(
            "batch",
            f"a batch holds at most {most} events (got {len(items)}); with split: true it is "
            f"sent in calls of {most}",
        )
    return batch_events(
        items,
        master_key=master_key(inputs),
        nonce=nonce,
        max_data_bytes=lim.max_data_bytes,
        max_events=max(len(items), most) if split else most,
    )
