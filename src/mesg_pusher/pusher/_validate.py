"""Checks of single values against Pusher's rules. Each raises `InputError` naming the input.

`where` is the input's path as the caller knows it (``channels[2]``, ``batch[3].name``), so a
message always says which input broke which rule.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._errors import InputError
from ._limits import (
    CHANNEL_NAME_CHARACTERS,
    CHANNEL_NAME_PATTERN,
    ENCRYPTED_PREFIX,
    MAX_CHANNEL_NAME_LENGTH,
    MAX_CHANNELS_PER_EVENT,
    MAX_DATA_BYTES,
    MAX_EVENT_NAME_LENGTH,
    SERVER_TO_USER_PREFIX,
    SOCKET_ID_PATTERN,
)


def channel_name(name: str, where: str) -> None:
    if not name:
        raise InputError(where, "a channel name must not be empty")
    if len(name) > MAX_CHANNEL_NAME_LENGTH:
        raise InputError(
            where,
            f"a channel name is at most {MAX_CHANNEL_NAME_LENGTH} characters "
            f"(this one has {len(name)})",
        )
    if CHANNEL_NAME_PATTERN.fullmatch(name) is None:
        bad = next(c for c in name if CHANNEL_NAME_PATTERN.fullmatch(c) is None)
        raise InputError(
            where,
            f"channel name {_quote(name)} has the forbidden character {_quote(bad)} "
            f"(allowed: {CHANNEL_NAME_CHARACTERS})",
        )


def event_channel(name: str, where: str) -> None:
    """A channel an event may be published to: a channel name, or ``#server-to-user-<id>``
    (the user id following the channel name rules). Encrypted channels are refused: their data
    must be encrypted with the app's encryption master key, which is not among the inputs."""
    if name.startswith(SERVER_TO_USER_PREFIX):
        user_id = name[len(SERVER_TO_USER_PREFIX) :]
        try:
            channel_name(user_id, where)
        except InputError as error:
            raise InputError(where, error.rule.replace("channel name", "user id")) from None
        return
    channel_name(name, where)
    if name.startswith(ENCRYPTED_PREFIX):
        raise InputError(
            where,
            f"{ENCRYPTED_PREFIX} channels need the data encrypted end to end with the app's "
            "encryption master key, which this service does not take; publish to a private- "
            "channel instead",
        )


def channel_names(names: Sequence[str], where: str) -> None:
    if not names:
        raise InputError(where, "at least one channel is required")
    if len(names) > MAX_CHANNELS_PER_EVENT:
        raise InputError(
            where,
            f"an event goes to at most {MAX_CHANNELS_PER_EVENT} channels (got {len(names)})",
        )
    for index, name in enumerate(names):
        event_channel(name, f"{where}[{index}]")


def event_name(name: str, where: str) -> None:
    if not name:
        raise InputError(where, "an event name must not be empty")
    if len(name) > MAX_EVENT_NAME_LENGTH:
        raise InputError(
            where,
            f"an event name is at most {MAX_EVENT_NAME_LENGTH} characters "
            f"(this one has {len(name)})",
        )


def data_size(data: str, where: str, limit: int = MAX_DATA_BYTES) -> None:
    # Most data is far below the limit in characters too; only then is encoding needed.
    if len(data) * 4 <= limit:
        return
    size = len(data.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise InputError(
            where,
            f"event data is at most {limit} bytes once encoded as UTF-8 (this is {size} bytes)",
        )


def socket_id(value: str, where: str) -> None:
    if SOCKET_ID_PATTERN.fullmatch(value) is None:
        raise InputError(
            where,
            f'a socket id looks like "1234.5678" (digits, a dot, digits); got {_quote(value)}',
        )


def _quote(text: str, limit: int = 60) -> str:
    shown = text if len(text) <= limit else text[: limit - 3] + "..."
    return '"' + shown.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'
