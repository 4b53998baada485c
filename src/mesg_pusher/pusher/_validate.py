"""Checks of single values against Pusher's rules. Each raises `InputError` naming the input.

`where` is the input's path as the caller knows it (``channels[2]``, ``batch[3].name``), so a
message always says which input broke which rule.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._errors import InputError
from .._text import cut
from ._encryption import MASTER_KEY
from ._limits import (
    CHANNEL_NAME_CHARACTERS,
    CHANNEL_NAME_PATTERN,
    ENCRYPTED_PREFIX,
    MAX_CHANNEL_NAME_LENGTH,
    MAX_CHANNELS_PER_EVENT,
    MAX_DATA_BYTES,
    MAX_EVENT_NAME_LENGTH,
    PRESENCE_PREFIX,
    SERVER_TO_USER_PREFIX,
    SOCKET_ID_PATTERN,
    USER_COUNT,
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


def event_channel(name: str, where: str, *, encrypted: bool = False) -> None:
    """A channel an event may be published to: a channel name, or ``#server-to-user-<id>``
    (the user id following the channel name rules). An encrypted channel takes only data
    encrypted for it (`encrypted`): its subscribers could not read anything else."""
    if name.startswith(SERVER_TO_USER_PREFIX):
        user_id(name[len(SERVER_TO_USER_PREFIX) :], where)
        return
    channel_name(name, where)
    if name.startswith(ENCRYPTED_PREFIX) and not encrypted:
        raise _needs_master_key(where)


def _needs_master_key(where: str) -> InputError:
    return InputError(
        where,
        f"{ENCRYPTED_PREFIX} channels take only data encrypted end to end with the app's "
        f"encryption master key: give {MASTER_KEY}",
    )


def channel_names(
    names: Sequence[str],
    where: str,
    *,
    encrypted: bool = False,
    limit: int = MAX_CHANNELS_PER_EVENT,
) -> None:
    """The channels of one event (at most `limit`: a list split into several events may be
    longer). A ``private-encrypted-`` channel is the event's only channel (its data is
    encrypted with that channel's own key), and takes only `encrypted` data."""
    if not names:
        raise InputError(where, "at least one channel is required")
    if len(names) > limit:
        raise InputError(where, f"an event goes to at most {limit} channels (got {len(names)})")
    for index, name in enumerate(names):
        # The names' own rules first; whether encrypted data may go there is decided below.
        event_channel(name, f"{where}[{index}]", encrypted=True)
    if len(names) > 1:
        for index, name in enumerate(names):
            if name.startswith(ENCRYPTED_PREFIX):
                raise InputError(
                    f"{where}[{index}]",
                    f"an event for a {ENCRYPTED_PREFIX} channel goes to that channel alone "
                    "(its data is encrypted with that channel's own key)",
                )
    elif names[0].startswith(ENCRYPTED_PREFIX) and not encrypted:
        raise _needs_master_key(f"{where}[0]")


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
    size = len(data.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise InputError(
            where,
            f"event data is at most {limit} bytes once encoded as UTF-8 (this is {size} bytes)",
        )


def whole_number(value: object, where: str, low: int, high: int) -> int:
    """A whole number from `low` to `high` (a limit, a count of retries); 3.0 counts as 3."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(where, f"a whole number from {low} to {high} is expected")
    return value


def socket_id(value: str, where: str) -> None:
    if SOCKET_ID_PATTERN.fullmatch(value) is None:
        raise InputError(
            where,
            f'a socket id looks like "1234.5678" (digits, a dot, digits); got {_quote(value)}',
        )


def user_id(value: str, where: str) -> None:
    """A user id (``sendToUser``, ``terminateUserConnections``, ``#server-to-user-<id>``): the
    characters and length of a channel name."""
    try:
        channel_name(value, where)
    except InputError as error:
        raise InputError(where, error.rule.replace("channel name", "user id")) from None


def channel_prefix(value: str, where: str) -> None:
    """A ``filter_by_prefix``: the start of a channel name, so the same characters."""
    try:
        channel_name(value, where)
    except InputError as error:
        raise InputError(where, error.rule.replace("channel name", "channel name prefix")) from None


def presence_channel(name: str, where: str, what: str) -> None:
    """A channel name that must be a presence channel, for `what` (``"users lists members"``)."""
    channel_name(name, where)
    if not name.startswith(PRESENCE_PREFIX):
        raise InputError(
            where, f"{what} of {PRESENCE_PREFIX} channels only, and {_quote(name)} is not one"
        )


def info_attributes(text: str, where: str, known: Sequence[str]) -> tuple[str, ...]:
    """An ``info`` comma list (``user_count,subscription_count``) as attribute names, each once,
    in the order given; spaces around a name are ignored. An empty text asks for nothing."""
    if not text:
        return ()
    names: list[str] = []
    for part in text.split(","):
        name = part.strip()
        if not name:
            raise InputError(
                where,
                f"info is a comma list of attributes (like {','.join(known)}); "
                "it has an empty item",
            )
        if name not in known:
            raise InputError(
                where, f"unknown attribute {_quote(name)} (known here: {', '.join(known)})"
            )
        if name not in names:
            names.append(name)
    return tuple(names)


def user_count_on_presence(info: Sequence[str], channel: str, where: str) -> None:
    """``user_count`` is asked only of a presence channel: Pusher answers 400 otherwise."""
    if USER_COUNT in info and not channel.startswith(PRESENCE_PREFIX):
        raise InputError(
            where,
            f"info {USER_COUNT} exists on {PRESENCE_PREFIX} channels only, and "
            f"{_quote(channel)} is not one (Pusher refuses it)",
        )


def _quote(text: str, limit: int = 60) -> str:
    """`text` in double quotes, escaped to ASCII as Python writes it, at most `limit`
    characters of it shown (the mark of a cut counting as one)."""
    return '"' + cut(text, limit - 1, _escaped) + '"'


def _escaped(text: str) -> str:
    return text.encode("unicode_escape").decode("ascii").replace('"', '\\"')
