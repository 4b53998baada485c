"""Pusher protocol 7 over a websocket, as pure functions: the frames the server sends, the
frames it reads, and the checks a subscribe request, a client event and a sign-in must pass.

Frames are JSON objects ``{"event", "channel"?, "data"}``. Pusher encodes ``data`` as a JSON
*string* in the frames it sends about channels and connections, and as an object in
``pusher:error``; the builders below follow that.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from .._errors import InputError, MesgPusherError
from .._json import dumps, loads
from .._text import cut
from ..pusher import (
    channel_auth_string,
    hmac_sha256_hex,
    limits,
    rules,
    same_signature,
    user_auth_string,
)
from ._state import Member, is_presence

PROTOCOL_VERSION: Final = 7
#: Oldest protocol Pusher still speaks.
MIN_PROTOCOL_VERSION: Final = 5
CLIENT_EVENT_PREFIX: Final = "client-"

# Close codes: 4000-4099 never reconnect, 4100-4199 reconnect after a pause, 4200-4299 at once;
# 4300-4399 are errors that leave the connection open.
APP_NOT_FOUND: Final = 4001
APP_DISABLED: Final = 4003
UNSUPPORTED_PROTOCOL: Final = 4007
NO_PROTOCOL: Final = 4008
UNAUTHORIZED: Final = 4009
PONG_NOT_RECEIVED: Final = 4201
CLIENT_EVENT_RATE_LIMITED: Final = 4301
#: Pusher's words, when an app has not switched client events on.
CLIENT_EVENTS_OFF: Final = (
    "To send client events, you must enable this feature in the Settings page of your dashboard."
)
#: Pusher's words for error 4301.
RATE_LIMITED: Final = "Client event rejected due to rate limit"
#: A close frame's reason: 125 bytes of payload less the 2-byte code.
MAX_CLOSE_REASON_BYTES: Final = 123
#: Characters of a client's value quoted back in a refusal, the mark of a cut included.
SHOWN_CHARS: Final = 40
#: ASCII digits only: str.isdigit also takes "²" (which int() refuses) and other scripts' digits
#: (which int() reads, so the Arabic-Indic seven would pass for 7).
_VERSION_NUMBER: Final = re.compile(r"[0-9]{1,9}")


class Refused(MesgPusherError):
    """A client frame that is refused with ``pusher:error``: `code` (None for most) and text."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True, slots=True)
class ClientFrame:
    event: str
    data: Any
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class SubscribeRequest:
    """A ``pusher:subscribe`` request that passed its checks: the channel a socket may join,
    and on a presence channel the `member` it joins as. (Not the engine stand-in's
    ``Subscription``, which is a listener of its task or result stream.)"""

    channel: str
    member: Member | None = None


# --- frames the server sends -------------------------------------------------------------------


def frame(event: str, data: Any, channel: str | None = None) -> str:
    message: dict[str, Any] = {"event": event}
    if channel is not None:
        message["channel"] = channel
    message["data"] = data
    return dumps(message)


def connection_established(socket_id: str, activity_timeout: float) -> str:
    data = dumps({"socket_id": socket_id, "activity_timeout": _seconds(activity_timeout)})
    return frame("pusher:connection_established", data)


def error(message: str, code: int | None = None) -> str:
    return frame("pusher:error", {"code": code, "message": message})


def subscription_succeeded(channel: str, presence: Mapping[str, Any] | None = None) -> str:
    data = dumps({"presence": dict(presence)} if presence is not None else {})
    return frame("pusher_internal:subscription_succeeded", data, channel)


def member_added(channel: str, member: Member) -> str:
    data = dumps({"user_id": member.user_id, "user_info": member.user_info})
    return frame("pusher_internal:member_added", data, channel)


def member_removed(channel: str, user_id: str) -> str:
    return frame("pusher_internal:member_removed", dumps({"user_id": user_id}), channel)


def event(name: str, channel: str, data: str) -> str:
    return frame(name, data, channel)


def subscription_count(channel: str, count: int) -> str:
    """What every subscriber of `channel` gets when its count changes (apps that count)."""
    data = dumps({"subscription_count": count})
    return frame("pusher_internal:subscription_count", data, channel)


def cache_miss(channel: str) -> str:
    """What a subscriber of an empty cache channel gets: the channel and no data, as soketi
    and other Pusher-protocol servers send it."""
    return dumps({"event": "pusher:cache_miss", "channel": channel})


def pong() -> str:
    return frame("pusher:pong", "{}")


def ping() -> str:
    return frame("pusher:ping", "{}")


def _seconds(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


# --- frames the server reads -------------------------------------------------------------------


def check_protocol(query: Mapping[str, str]) -> tuple[int, str] | None:
    """The close code and reason for a connection whose ``protocol`` cannot be served."""
    given = query.get("protocol")
    if given is None:
        return NO_PROTOCOL, "No protocol version supplied"
    number = _VERSION_NUMBER.fullmatch(given)
    if number is None or not MIN_PROTOCOL_VERSION <= int(given) <= PROTOCOL_VERSION:
        return UNSUPPORTED_PROTOCOL, f"Unsupported protocol version: {_shown(given)}"
    return None


def _shown(text: str) -> str:
    return cut(text, SHOWN_CHARS - 1)


def close_reason(message: str) -> bytes:
    """`message` as a close frame's reason: at most 123 bytes of UTF-8, cut between characters."""
    reason = message.encode("utf-8", "replace")
    if len(reason) <= MAX_CLOSE_REASON_BYTES:
        return reason
    return reason[:MAX_CLOSE_REASON_BYTES].decode("utf-8", "ignore").encode("utf-8")


def read_frame(text: str) -> ClientFrame:
    try:
        message = loads(text)
    except ValueError:
        raise Refused("Invalid JSON: a message is one JSON object") from None
    if not isinstance(message, dict) or not isinstance(message.get("event"), str):
        raise Refused("Invalid message: expected a JSON object with an event name")
    channel = message.get("channel")
    if channel is not None and not isinstance(channel, str):
        raise Refused("Invalid message: the channel must be a string")
    data = message.get("data")
    # Clients may send data as a JSON string or as an object; both mean the same.
    if isinstance(data, str) and message["event"].startswith("pusher:") and data[:1] == "{":
        with contextlib.suppress(ValueError):
            data = loads(data)
    return ClientFrame(message["event"], data, channel)


def check_subscribe(
    data: Any, *, key: str, secret: str, socket_id: str, user_id: str | None = None
) -> SubscribeRequest:
    """A ``pusher:subscribe`` request checked as Pusher does; raises `Refused`. `user_id` is the
    user the socket signed in as: only that user's own ``#server-to-user-<id>`` channel, which
    pusher-js subscribes to by itself after a sign-in, is open to it."""
    if not isinstance(data, dict) or not isinstance(data.get("channel"), str):
        raise Refused("Invalid subscription: expected data with a channel name")
    channel: str = data["channel"]
    if channel.startswith(limits.SERVER_TO_USER_PREFIX):
        wanted = channel[len(limits.SERVER_TO_USER_PREFIX) :]
        if user_id is None or wanted != user_id:
            signed = "not signed in" if user_id is None else f"signed in as {_shown(user_id)}"
            raise Refused(
                f"Cannot subscribe to {_shown(channel)}: the user's own connections only "
                f"(this one is {signed})"
            )
        return SubscribeRequest(channel)
    try:
        rules.channel_name(channel, "channel")
    except InputError as problem:
        raise Refused(f"Invalid channel name: {problem.rule}") from None
    if not channel.startswith((limits.PRIVATE_PREFIX, limits.PRESENCE_PREFIX)):
        return SubscribeRequest(channel)
    presence = is_presence(channel)
    channel_data = data.get("channel_data")
    if presence and not isinstance(channel_data, str):
        raise Refused("Invalid subscription: a presence channel needs channel_data, a string")
    auth = data.get("auth")
    signed = channel_auth_string(socket_id, channel, channel_data if presence else None)
    _check_auth(auth, signed, key=key, secret=secret)
    if not presence:
        return SubscribeRequest(channel)
    assert isinstance(channel_data, str)
    return SubscribeRequest(channel, _member(channel_data))


def _check_auth(auth: Any, signed: str, *, key: str, secret: str) -> None:
    text = auth if isinstance(auth, str) else ""
    given_key, sep, signature = text.partition(":")
    if sep and given_key != key:
        raise Refused(f"Invalid key in subscription auth data: '{given_key}'")
    expected = hmac_sha256_hex(secret, signed)
    if not sep or not same_signature(expected, signature):
        raise Refused(
            f"Invalid signature: Expected HMAC SHA256 hex digest of {signed}, but got {text}"
        )


def _member(channel_data: str) -> Member:
    try:
        parsed = loads(channel_data)
    except ValueError:
        raise Refused("Invalid presence channel_data: not JSON") from None
    if not isinstance(parsed, dict):
        raise Refused("Invalid presence channel_data: expected a JSON object")
    user_id = parsed.get("user_id")
    if isinstance(user_id, int | float) and not isinstance(user_id, bool):
        user_id = dumps(user_id)
    if not isinstance(user_id, str) or not user_id:
        raise Refused("Invalid presence channel_data: user_id must be a non-empty string")
    if len(user_id) > limits.MAX_PRESENCE_USER_ID_LENGTH:
        raise Refused(
            "Invalid presence channel_data: user_id is over "
            f"{limits.MAX_PRESENCE_USER_ID_LENGTH} chars"
        )
    info = parsed.get("user_info")
    if len(dumps(info).encode("utf-8")) > limits.MAX_USER_INFO_BYTES:
        raise Refused(f"Presence user_info is over {limits.MAX_USER_INFO_BYTES} bytes")
    return Member(user_id, info)


def check_client_event(message: ClientFrame, *, subscribed: bool, max_data_bytes: int) -> str:
    """The channel of an acceptable client event (``client-`` prefix); raises `Refused`."""
    channel = message.channel
    if channel is None:
        raise Refused("Client event rejected - a client event needs a channel")
    if not channel.startswith(
        (limits.PRIVATE_PREFIX, limits.PRESENCE_PREFIX)
    ) or channel.startswith(limits.ENCRYPTED_PREFIX):
        raise Refused("Client event rejected - only supported on private and presence channels")
    if not subscribed:
        raise Refused(f"Client event rejected - not subscribed to channel {channel}")
    if len(message.event) > limits.MAX_EVENT_NAME_LENGTH:
        raise Refused("Client event rejected - event name too long")
    data = message.data if isinstance(message.data, str) else dumps(message.data)
    if len(data.encode("utf-8", "surrogatepass")) > max_data_bytes:
        raise Refused(f"Client event rejected - data over {max_data_bytes} bytes")
    return channel


def client_event(message: ClientFrame, channel: str, user_id: str | None) -> str:
    relayed: dict[str, Any] = {"event": message.event, "channel": channel, "data": message.data}
    if user_id is not None:
        relayed["user_id"] = user_id
    return dumps(relayed)


def check_signin(data: Any, *, key: str, secret: str, socket_id: str) -> tuple[str, str]:
    """The user id and user data of a ``pusher:signin``; raises `Refused` with 4009."""
    if not isinstance(data, dict) or not isinstance(data.get("user_data"), str):
        raise Refused("Invalid signin: expected auth and user_data, a string", UNAUTHORIZED)
    user_data: str = data["user_data"]
    try:
        _check_auth(
            data.get("auth"), user_auth_string(socket_id, user_data), key=key, secret=secret
        )
    except Refused as refused:
        raise Refused(refused.message, UNAUTHORIZED) from None
    try:
        parsed = loads(user_data)
    except ValueError:
        raise Refused("Invalid signin: user_data is not JSON", UNAUTHORIZED) from None
    user_id = parsed.get("id") if isinstance(parsed, dict) else None
    if not isinstance(user_id, str) or not user_id:
        raise Refused("Invalid signin: user_data needs a non-empty id", UNAUTHORIZED)
    return user_id, user_data


def signin_success(user_data: str) -> str:
    return frame("pusher:signin_success", dumps({"user_data": user_data}))
