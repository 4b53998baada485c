"""Events and the signed HTTP requests that publish them; pure, the clock's reading passed in.

An event's data travels as a string: a string is sent unchanged, anything else is JSON-encoded.
Events are checked against Pusher's limits when built, so an `Event` that exists is publishable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .. import _json
from .._errors import InputError
from . import _validate
from ._limits import MAX_DATA_BYTES, MAX_EVENTS_PER_BATCH
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
    """One event for one or more channels (the ``events`` endpoint)."""

    name: str
    data: str
    channels: tuple[str, ...]
    socket_id: str | None = None
    max_data_bytes: int = MAX_DATA_BYTES

    def __post_init__(self) -> None:
        _validate.event_name(self.name, "name")
        _validate.channel_names(self.channels, "channels")
        _validate.data_size(self.data, "data", self.max_data_bytes)
        if self.socket_id is not None:
            _validate.socket_id(self.socket_id, "socket_id")

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "channels": list(self.channels),
            "data": self.data,
        }
        if self.socket_id is not None:
            body["socket_id"] = self.socket_id
        return body


@dataclass(frozen=True, slots=True)
class BatchEvent:
    """One item of a ``batch_events`` call: one event for one channel."""

    name: str
    channel: str
    data: str
    socket_id: str | None = None
    max_data_bytes: int = MAX_DATA_BYTES

    def __post_init__(self) -> None:
        _validate.event_name(self.name, "name")
        _validate.event_channel(self.channel, "channel")
        _validate.data_size(self.data, "data", self.max_data_bytes)
        if self.socket_id is not None:
            _validate.socket_id(self.socket_id, "socket_id")

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name, "channel": self.channel, "data": self.data}
        if self.socket_id is not None:
            body["socket_id"] = self.socket_id
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
