"""Events and the signed HTTP requests that publish them; pure, the clock's reading passed in.

An event's data travels as a string: a string is sent unchanged, anything else is JSON-encoded;
for a ``private-encrypted-`` channel that string is what gets encrypted, so a subscriber gets
what it would get from a plain channel. Events are checked against Pusher's limits when built
(the data's size after encryption), so an `Event` that exists is publishable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import _json
from .._errors import InputError
from . import _validate
from ._encryption import MasterKey, encrypt
from ._limits import (
    ENCRYPTED_PREFIX,
    MAX_DATA_BYTES,
    MAX_EVENTS_PER_BATCH,
    PUBLISH_INFO_ATTRIBUTES,
    SERVER_TO_USER_PREFIX,
)
from ._settings import App
from ._signing import sign_request

CONTENT_TYPE = "application/json"


def encode_data(data: Any, where: str = "data") -> str:
    """The data string Pusher delivers: strings as they are, anything else as JSON."""
    if isinstance(data, str):
        return data
    try:
        return _json.dumps(data)
    except ValueError as error:
        raise InputError(where, f"event data cannot be written as JSON ({error})") from None


@dataclass(frozen=True, slots=True)
class Event:
    """One event for one or more channels (the ``events`` endpoint).

    `info` asks Pusher for attributes of the channels in its answer. `encrypted` says `data` is
    already sealed for the event's one ``private-encrypted-`` channel; `Event.create` does that.
    """

    name: str
    data: str
    channels: tuple[str, ...]
    socket_id: str | None = None
    max_data_bytes: int = MAX_DATA_BYTES
    info: tuple[str, ...] = ()
    encrypted: bool = False

    def __post_init__(self) -> None:
        _validate.event_name(self.name, "name")
        _validate.channel_names(self.channels, "channels", encrypted=self.encrypted)
        _check_common(self, self.channels)

    @classmethod
    def create(
        cls,
        name: str,
        data: str,
        channels: Sequence[str],
        *,
        socket_id: str | None = None,
        info: str | None = None,
        master_key: MasterKey | None = None,
        nonce: bytes | None = None,
        max_data_bytes: int = MAX_DATA_BYTES,
    ) -> Event:
        """The event the inputs describe: `info` a comma list (``user_count,subscription_count``),
        `data` encrypted with `master_key` under `nonce` (24 random bytes) when the event goes to
        one ``private-encrypted-`` channel. The key is not used for other channels."""
        attributes = _validate.info_attributes(info or "", "info", PUBLISH_INFO_ATTRIBUTES)
        data, encrypted = _sealed(
            data, channels, "channels[0]", key=master_key, nonce=nonce, limit=max_data_bytes
        )
        return cls(name, data, tuple(channels), socket_id, max_data_bytes, attributes, encrypted)

    def body(self) -> dict[str, Any]:
        return _body(self, {"name": self.name, "channels": list(self.channels), "data": self.data})


@dataclass(frozen=True, slots=True)
class BatchEvent:
    """One item of a ``batch_events`` call: one event for one channel (see `Event`)."""

    name: str
    channel: str
    data: str
    socket_id: str | None = None
    max_data_bytes: int = MAX_DATA_BYTES
    info: tuple[str, ...] = ()
    encrypted: bool = False

    def __post_init__(self) -> None:
        _validate.event_name(self.name, "name")
        _validate.event_channel(self.channel, "channel", encrypted=self.encrypted)
        _check_common(self, (self.channel,))

    @classmethod
    def create(
        cls,
        name: str,
        channel: str,
        data: str,
        *,
        socket_id: str | None = None,
        info: str | None = None,
        master_key: MasterKey | None = None,
        nonce: bytes | None = None,
        max_data_bytes: int = MAX_DATA_BYTES,
    ) -> BatchEvent:
        """As `Event.create`, for one item of a batch; each item has its own nonce."""
        attributes = _validate.info_attributes(info or "", "info", PUBLISH_INFO_ATTRIBUTES)
        data, encrypted = _sealed(
            data, (channel,), "channel", key=master_key, nonce=nonce, limit=max_data_bytes
        )
        return cls(name, channel, data, socket_id, max_data_bytes, attributes, encrypted)

    def body(self) -> dict[str, Any]:
        return _body(self, {"name": self.name, "channel": self.channel, "data": self.data})


_BATCH_FIELDS = (("name", "an event name"), ("channel", "a channel name"))
_OPTIONAL_BATCH_FIELDS = (
    ("socket_id", "a socket id is a string"),
    ("info", "info is a string, a comma list of attributes (like subscription_count)"),
)


def batch_events(
    items: Sequence[Any],
    *,
    master_key: MasterKey | None = None,
    nonce: Callable[[], bytes] | None = None,
    max_data_bytes: int = MAX_DATA_BYTES,
    max_events: int = MAX_EVENTS_PER_BATCH,
) -> list[BatchEvent]:
    """The events of a ``batch_events`` call from their JSON form, as Pusher's API takes them
    (each an object with ``name``, ``channel``, ``data`` and optional ``socket_id`` and
    ``info``), each for a ``private-encrypted-`` channel encrypted under its own nonce (`nonce`
    gives 24 random bytes a call). An error names the item: ``batch[3].channel``."""
    check_batch_size(len(items), limit=max_events)
    return [
        _batch_event(item, f"batch[{index}]", master_key, nonce, max_data_bytes)
        for index, item in enumerate(items)
    ]


def _batch_event(
    item: Any,
    where: str,
    key: MasterKey | None,
    nonce: Callable[[], bytes] | None,
    max_data_bytes: int,
) -> BatchEvent:
    if isinstance(item, BatchEvent):
        return item
    if not isinstance(item, Mapping):
        raise InputError(where, "an event is an object with name, channel and data")
    for name, what in _BATCH_FIELDS:
        if item.get(name) is None:
            raise InputError(f"{where}.{name}", "is required")
        if not isinstance(item[name], str):
            raise InputError(f"{where}.{name}", f"{what} is a string")
    if item.get("data") is None:
        raise InputError(f"{where}.data", "is required")
    for name, rule in _OPTIONAL_BATCH_FIELDS:
        value = item.get(name)
        if value is not None and not isinstance(value, str):
            raise InputError(f"{where}.{name}", rule)
    try:
        return BatchEvent.create(
            item["name"],
            item["channel"],
            encode_data(item["data"]),
            socket_id=item.get("socket_id") or None,
            info=item.get("info") or None,
            master_key=key,
            nonce=nonce() if key is not None and nonce is not None else None,
            max_data_bytes=max_data_bytes,
        )
    except InputError as error:
        raise error.within(where) from None


def user_event(
    user_id: str, name: str, data: str, *, max_data_bytes: int = MAX_DATA_BYTES
) -> Event:
    """The event ``sendToUser`` publishes: to ``#server-to-user-<user_id>``, which reaches every
    connection signed in as that user."""
    _validate.user_id(user_id, "user_id")
    return Event(name, data, (SERVER_TO_USER_PREFIX + user_id,), max_data_bytes=max_data_bytes)


def _sealed(
    data: str,
    channels: Sequence[str],
    where: str,
    *,
    key: MasterKey | None,
    nonce: bytes | None,
    limit: int,
) -> tuple[str, bool]:
    """The data an event built by `create` carries, and whether it is encrypted: it is for the
    event's one ``private-encrypted-`` channel when there is a master key, never otherwise."""
    # Mixed channels are left to the channel rules, which refuse them with their own message.
    if key is None or len(channels) != 1 or not channels[0].startswith(ENCRYPTED_PREFIX):
        return data, False
    _validate.event_channel(channels[0], where, encrypted=True)
    if nonce is None:
        raise ValueError("encrypting an event needs the master key and a nonce")
    return encrypt(data, channels[0], key, nonce, max_data_bytes=limit), True


def _check_common(event: Event | BatchEvent, channels: tuple[str, ...]) -> None:
    """The rules `Event` and `BatchEvent` share, checked after the name and the channels."""
    if event.encrypted and not channels[0].startswith(ENCRYPTED_PREFIX):
        # Only `create` sets the flag, and only for such a channel: a defect otherwise.
        raise ValueError(f"encrypted data is for {ENCRYPTED_PREFIX} channels only")
    _validate.data_size(event.data, "data", event.max_data_bytes)
    if event.socket_id is not None:
        _validate.socket_id(event.socket_id, "socket_id")
    if event.info:
        _validate.info_attributes(",".join(event.info), "info", PUBLISH_INFO_ATTRIBUTES)
        for channel in channels:
            _validate.user_count_on_presence(event.info, channel, "info")


def _body(event: Event | BatchEvent, body: dict[str, Any]) -> dict[str, Any]:
    """`body` (the name, the channel or channels, the data) with the optional fields."""
    if event.socket_id is not None:
        body["socket_id"] = event.socket_id
    if event.info:
        body["info"] = ",".join(event.info)
    return body


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """A signed request, ready for any HTTP client: ``method base_url+target`` with `body`."""

    method: str
    path: str
    query: str
    body: bytes

    @property
    def target(self) -> str:
        return f"{self.path}?{self.query}"


def check_batch_size(count: int, where: str = "batch", limit: int = MAX_EVENTS_PER_BATCH) -> None:
    if count == 0:
        raise InputError(where, "a batch holds at least one event")
    if count > limit:
        raise InputError(where, f"a batch holds at most {limit} events (got {count})")


def _post(app: App, path: str, payload: dict[str, Any], timestamp: int) -> HttpRequest:
    body = _json.dumps(payload).encode("utf-8")
    query = sign_request(
        key=app.key, secret=app.secret, method="POST", path=path, timestamp=timestamp, body=body
    )
    return HttpRequest("POST", path, query, body)


def trigger_request(app: App, event: Event, *, timestamp: int) -> HttpRequest:
    """``POST /apps/<id>/events`` for `event`, signed at `timestamp` (Unix seconds)."""
    return _post(app, app.events_path, event.body(), timestamp)


def batch_request(
    app: App,
    events: Sequence[BatchEvent],
    *,
    timestamp: int,
    max_events: int = MAX_EVENTS_PER_BATCH,
) -> HttpRequest:
    """``POST /apps/<id>/batch_events`` for `events`, signed at `timestamp` (Unix seconds)."""
    check_batch_size(len(events), limit=max_events)
    return _post(app, app.batch_events_path, {"batch": [e.body() for e in events]}, timestamp)
