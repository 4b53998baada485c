"""The HTTP API's decisions, as pure functions: who may call, and what a publish may hold.

Refusals are `ApiError(status, message)` with Pusher's status codes and plain-text messages.
Where Pusher's exact words are known they are kept (``Timestamp expired: ...``, ``Invalid
signature: you should have sent HmacSHA256Hex(...)``, ``Unknown auth_key``, ``Expected name
parameter to be a string``, the 413 text); elsewhere the message names the input and the rule
the way the client core does. The clock's reading is passed in.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from .._errors import InputError, MesgPusherError
from .._json import loads
from .._text import cut
from ..pusher import AUTH_VERSION, body_md5, limits, rules, string_to_sign, verify_signature
from ._config import ServerSettings

#: What ``info`` may ask of a publish and of ``GET channels``; ``GET channels/<name>`` also takes
#: ``cache``: the last event of a cache channel, as ``{"data", "ttl"}``, or null when it holds
#: none. Pusher's own lists, as the client core has them.
INFO_ATTRIBUTES: Final = frozenset(limits.PUBLISH_INFO_ATTRIBUTES)
CHANNELS_INFO_ATTRIBUTES: Final = frozenset(limits.CHANNELS_INFO_ATTRIBUTES)
CHANNEL_INFO_ATTRIBUTES: Final = frozenset(limits.CHANNEL_INFO_ATTRIBUTES)
_ISO8601: Final = "%Y-%m-%dT%H:%M:%SZ"
#: Digits of ``auth_timestamp`` read as a number (about 31 billion years of seconds).
MAX_TIMESTAMP_DIGITS: Final = 18
#: Characters of a given value quoted back in a refusal, the mark of a cut included.
_SHOWN_CHARS: Final = 40
#: The 403s: an app disabled (Pusher's words for it on a connection), or over its daily quota
#: (the words Pusher's users have quoted from its HTTP API).
APP_DISABLED: Final = "Application disabled"
OVER_QUOTA: Final = "API call failed since (daily) message quota exceeded"


class ApiError(MesgPusherError):
    """A refused request: Pusher's `status` and its plain-text `message`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    @property
    def body(self) -> bytes:
        # Pusher's error bodies are one line of text ending with a newline.
        return (self.message + "\n").encode("utf-8", "surrogatepass")


@dataclass(frozen=True, slots=True)
class Publish:
    """One event accepted for delivery to `channels`, except to `socket_id`."""

    name: str
    data: str
    channels: tuple[str, ...]
    socket_id: str | None = None
    info: frozenset[str] = frozenset()


# --- authentication ----------------------------------------------------------------------------


def authenticate(
    *,
    key: str,
    secret: str,
    method: str,
    path: str,
    params: Mapping[str, str],
    body: bytes,
    now: float,
    window: int = limits.SIGNATURE_WINDOW_SECONDS,
) -> None:
    """Check a request's auth parameters against the app's `key` and `secret`; raises `ApiError`.

    The order is the one of Pusher's signature library: key, version, timestamp, signature;
    then the body's MD5, which the signature covers but does not prove.
    """
    given_key = params.get("auth_key")
    if given_key is None:
        raise ApiError(401, "Missing parameter: auth_key")
    if given_key != key:
        # Pusher answers an unknown key with 400, not 401 (seen in the SDKs' issue trackers).
        raise ApiError(400, "Unknown auth_key")
    version = params.get("auth_version")
    if version is None:
        raise ApiError(401, "Version required")
    if version != AUTH_VERSION:
        raise ApiError(401, "Version not supported")
    timestamp_text = params.get("auth_timestamp")
    if timestamp_text is None:
        raise ApiError(401, "Timestamp required")
    timestamp = _leading_int(timestamp_text)
    if abs(timestamp - int(now)) >= window:
        raise ApiError(
            401,
            f"Timestamp expired: Given timestamp ({_iso(timestamp, timestamp_text)}) not "
            f"within {window}s of server time ({_iso(int(now))})",
        )
    if not verify_signature(secret, method, path, params):
        signed = string_to_sign(method, path, params)
        raise ApiError(
            401,
            f"Invalid signature: you should have sent HmacSHA256Hex({_inspect(signed)}, "
            f"your_secret_key), but you sent {_inspect(params.get('auth_signature', ''))}",
        )
    given_md5 = params.get("body_md5")
    if given_md5 is None:
        if body:
            raise ApiError(401, "Missing parameter: body_md5")
    elif given_md5.lower() != body_md5(body):
        raise ApiError(401, "body_md5 does not match")


def _leading_int(text: str) -> int:
    """The number `text` starts with, 0 if none: how Pusher's server reads the timestamp. A number
    of more than `MAX_TIMESTAMP_DIGITS` digits reads as that many nines: it is centuries from any
    clock either way, and Python refuses to read one of thousands of digits."""
    digits = text.strip()
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-")
    end = 0
    while end < len(digits) and digits[end].isdigit() and digits[end].isascii():
        end += 1
    if end > MAX_TIMESTAMP_DIGITS:
        return sign * int("9" * MAX_TIMESTAMP_DIGITS)
    return sign * int(digits[:end]) if end else 0


def _iso(timestamp: int, given: str | None = None) -> str:
    """The time as Pusher shows it; a time no calendar holds shows as `given`, cut short."""
    try:
        return time.strftime(_ISO8601, time.gmtime(timestamp))
    except (OverflowError, OSError, ValueError):
        text = given if given is not None else str(timestamp)
        return cut(text, _SHOWN_CHARS - 1)


def _inspect(text: str) -> str:
    """`text` quoted and escaped the way the Ruby server shows it (``"POST\\n/apps/..."``)."""
    return json.dumps(text, ensure_ascii=False).replace("#{", "\\#{")


# --- events ------------------------------------------------------------------------------------


def read_trigger(body: bytes, settings: ServerSettings) -> Publish:
    """The event of a ``POST /apps/<id>/events`` body; raises `ApiError`."""
    payload = _object(body)
    if "channels" in payload:
        channels = payload["channels"]
        if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
            raise ApiError(400, "Expected channels parameter to be an array of strings")
        where = "channels"
    elif "channel" in payload:
        if not isinstance(payload["channel"], str):
            raise ApiError(400, "Expected channel parameter to be a string")
        channels, where = [payload["channel"]], "channel"
    else:
        raise ApiError(400, "Missing channels parameter: give channels (an array) or channel")
    return _event(payload, tuple(channels), where, "", settings)


def read_batch(body: bytes, settings: ServerSettings) -> list[Publish]:
    """The events of a ``POST /apps/<id>/batch_events`` body; raises `ApiError`."""
    payload = _object(body)
    batch = payload.get("batch")
    if not isinstance(batch, list):
        raise ApiError(400, "Expected batch parameter to be an array of events")
    if not batch:
        raise ApiError(400, "batch: a batch holds at least one event")
    if len(batch) > settings.max_batch_events:
        raise ApiError(
            400,
            f"Batch too large: a batch holds at most {settings.max_batch_events} events "
            f"(got {len(batch)})",
        )
    events = []
    for index, item in enumerate(batch):
        prefix = f"batch[{index}]."
        if not isinstance(item, dict):
            raise ApiError(400, f"Expected {prefix[:-1]} to be an event object")
        channel = item.get("channel")
        if not isinstance(channel, str):
            raise ApiError(400, f"Expected {prefix}channel parameter to be a string")
        events.append(_event(item, (channel,), "channel", prefix, settings))
    return events


def _object(body: bytes) -> dict[str, Any]:
    try:
        payload = loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Request body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise ApiError(400, "Expected the request body to be a JSON object")
    return payload


def _event(
    item: Mapping[str, Any],
    channels: tuple[str, ...],
    where: str,
    prefix: str,
    settings: ServerSettings,
) -> Publish:
    name = item.get("name")
    if not isinstance(name, str):
        raise ApiError(400, f"Expected {prefix}name parameter to be a string")
    data = item.get("data")
    if not isinstance(data, str):
        raise ApiError(400, f"Expected {prefix}data parameter to be a string")
    check_channels(channels, prefix + where, settings.max_channels_per_event)
    try:
        rules.event_name(name, prefix + "name")
    except InputError as error:
        raise ApiError(400, str(error)) from None
    try:
        rules.data_size(data, prefix + "data", settings.max_data_bytes)
    except InputError:
        raise ApiError(
            413,
            "The data content of this event exceeds the allowed maximum "
            f"({settings.max_data_bytes} bytes).",
        ) from None
    socket_id = item.get("socket_id")
    if socket_id is not None:
        if not isinstance(socket_id, str):
            raise ApiError(400, f"Expected {prefix}socket_id parameter to be a string")
        try:
            rules.socket_id(socket_id, prefix + "socket_id")
        except InputError as error:
            raise ApiError(400, str(error)) from None
    info = item.get("info")
    if info is not None and not isinstance(info, str):
        raise ApiError(400, f"Expected {prefix}info parameter to be a comma-separated string")
    return Publish(name, data, channels, socket_id, parse_info(info or "", prefix + "info"))


def check_channels(channels: Sequence[str], where: str, limit: int) -> None:
    if not channels:
        raise ApiError(400, f"{where}: at least one channel is required")
    if len(channels) > limit:
        raise ApiError(
            400,
            f"Too many channels: an event goes to at most {limit} channels (got {len(channels)})",
        )
    plural = where.endswith("channels")
    for index, channel in enumerate(channels):
        check_channel(channel, f"{where}[{index}]" if plural else where)
    if len(channels) > 1 and any(c.startswith(limits.ENCRYPTED_PREFIX) for c in channels):
        raise ApiError(
            400, f"{where}: an event for an encrypted channel must go to that channel alone"
        )


def check_channel(channel: str, where: str) -> None:
    """A channel name an event may go to; ``#server-to-user-<id>`` names a signed-in user."""
    if channel.startswith(limits.SERVER_TO_USER_PREFIX):
        check_user_id(channel[len(limits.SERVER_TO_USER_PREFIX) :], where)
        return
    try:
        rules.channel_name(channel, where)
    except InputError as error:
        raise ApiError(400, f"Invalid channel name: {error}") from None


def check_user_id(user_id: str, where: str) -> None:
    try:
        rules.user_id(user_id, where)
    except InputError as error:
        raise ApiError(400, f"Invalid user id: {where}: {error.rule}") from None


def parse_info(
    text: str, where: str = "info", known: frozenset[str] = INFO_ATTRIBUTES
) -> frozenset[str]:
    attributes = frozenset(part.strip() for part in text.split(",") if part.strip())
    unknown = sorted(attributes - known)
    if unknown:
        raise ApiError(
            400,
            f"{where}: unknown attribute {unknown[0]!r} (known: {', '.join(sorted(known))})",
        )
    return attributes
