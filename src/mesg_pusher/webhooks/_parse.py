"""A webhook body read into the events mesg.yml declares, exactly as they will be emitted.

Pusher POSTs ``{"time_ms": <number>, "events": [{"name": ..., ...}, ...]}``. Each event's
``name`` is the key of a mesg.yml event, and its data is that event's declared parameters taken
from the Pusher event, plus the webhook's ``time_ms`` and the key of the app that signed it
(``app_key``); anything else in the Pusher event is left out. A member's ``user_info`` is never
taken from the body: the caller says what this service signed for that member
(`user_info`, ``_members.py``), and when it signed nothing the event has none. The engine's
own rules (`mesg_pusher.mesg.validate`) then check that data, so the engine never refuses what
passes here. The one conversion: a client event's ``data`` is text as the client sent it; a
sender that passes an object instead (soketi does) gets its compact JSON text, as Pusher would
have sent it.

Anything else - not UTF-8 JSON, another shape, an unknown event name - is not a webhook. One bad
event refuses the whole body, so a body is emitted entirely or not at all. A ``time_ms`` too
large for any clock to compare (an integer beyond a double's range) is stale, as any other
``time_ms`` far from the clock is.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from .._json import dumps, loads
from ..mesg import Output, load_packaged, validate
from ._outcomes import WebhookOutcome, WebhookRefused

#: Parameters whose value a sender may give as JSON instead of text: (event, parameter).
AS_TEXT: Final = frozenset({("client_event", "data")})
TIME_KEY: Final = "time_ms"
#: The key of the app that signed the webhook, added to every event's data.
APP_KEY: Final = "app_key"
#: A presence member's ``user_info``: from what this service signed, never from the body.
USER_INFO: Final = "user_info"
#: What a member's ``user_info`` is, given the channel and the user id: None when unknown.
UserInfo = Callable[[str, str], Mapping[str, Any] | None]
#: The largest ``time_ms`` the replay window is checked against: the largest double. Past it
#: the comparison with the clock cannot even be made (and no clock will ever get there).
_LATEST_MS: Final = sys.float_info.max


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """One event to emit: the mesg.yml event key and its data (``time_ms`` included)."""

    key: str
    data: Mapping[str, Any]

    def json(self) -> str:
        """The event data as the engine takes it (``EmitEventRequest.eventData``)."""
        return dumps(dict(self.data))


@dataclass(frozen=True, slots=True)
class Webhook:
    """A webhook body read and checked: its ``time_ms`` and its events, in order."""

    time_ms: int | float
    events: tuple[WebhookEvent, ...]


@functools.cache
def _packaged_events() -> Mapping[str, Output]:
    return load_packaged().events


def parse(
    body: bytes,
    events: Mapping[str, Output] | None = None,
    *,
    app_key: str,
    user_info: UserInfo | None = None,
) -> Webhook:
    """Read a webhook body that the app of `app_key` signed; raises `WebhookRefused` (not a
    webhook) saying what is wrong.

    `events` are the declared events (mesg.yml's, by default); `user_info` says what this
    service signed for a presence member (none by default).
    """
    declared = _packaged_events() if events is None else events
    try:
        raw = loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _not_a_webhook("the body is not UTF-8 JSON") from None
    if not isinstance(raw, dict):
        raise _not_a_webhook("the body is not a JSON object")
    time_ms = raw.get(TIME_KEY)
    if time_ms is None:
        raise _not_a_webhook("time_ms is missing")
    if not isinstance(time_ms, int | float) or isinstance(time_ms, bool) or time_ms < 0:
        raise _not_a_webhook("time_ms is not a number of milliseconds")
    if time_ms > _LATEST_MS:
        raise WebhookRefused(WebhookOutcome.STALE, "time_ms is beyond any clock")
    items = raw.get("events")
    if not isinstance(items, list):
        raise _not_a_webhook("events is not a list")
    supplied = {TIME_KEY: time_ms, APP_KEY: app_key}
    return Webhook(
        time_ms,
        tuple(_event(i, item, supplied, declared, user_info) for i, item in enumerate(items)),
    )


def _event(
    index: int,
    item: Any,
    supplied: Mapping[str, Any],
    declared: Mapping[str, Output],
    user_info: UserInfo | None,
) -> WebhookEvent:
    where = f"events[{index}]"
    if not isinstance(item, dict):
        raise _not_a_webhook(f"{where} is not an object")
    name = item.get("name")
    if not isinstance(name, str):
        raise _not_a_webhook(f"{where}.name is not a string")
    event = declared.get(name)
    if event is None:
        known = ", ".join(sorted(declared))
        raise _not_a_webhook(f"{where}.name is not a webhook event this service knows ({known})")
    data: dict[str, Any] = {}
    for key in event.data:
        if key in supplied:
            data[key] = supplied[key]
            continue
        if key == USER_INFO:
            continue  # never from the body (below)
        value = item.get(key)
        if value is None:
            continue  # validate says whether it may be missing
        if (name, key) in AS_TEXT and not isinstance(value, str):
            try:
                value = dumps(value)
            except ValueError:
                raise _not_a_webhook(f"{where}.{key} cannot be written as JSON text") from None
        data[key] = value
    if USER_INFO in event.data and user_info is not None:
        channel, user = data.get("channel"), data.get("user_id")
        if isinstance(channel, str) and isinstance(user, str):
            info = user_info(channel, user)
            if info is not None:  # absent, never null: unknown is not a value
                data[USER_INFO] = info
    problems = validate(event.data, data)
    if problems:
        details = ". ".join(f"Value of '{key}' {problem}" for key, problem in problems)
        raise _not_a_webhook(f"{where}: Data of event '{name}' is invalid. {details}")
    return WebhookEvent(name, data)


def _not_a_webhook(detail: str) -> WebhookRefused:
    return WebhookRefused(WebhookOutcome.NOT_A_WEBHOOK, detail)
