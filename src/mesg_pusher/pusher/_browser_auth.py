"""The answers an app's auth endpoint hands to a browser, as pure functions; no network.

`authorize_channel` lets a connection subscribe to a private, presence or encrypted channel;
`authenticate_user` signs a connection in as a user. Each returns exactly the JSON object that
pusher-js expects from an auth endpoint, keys in the order the Node SDK writes them, so the
output can be passed to the browser as it is. ``channel_data`` and ``user_data`` are compact JSON
written as JavaScript writes it: the string signed is the string handed out.
"""

from __future__ import annotations

import base64
from typing import Any

from .. import _json
from .._errors import InputError
from . import _validate
from ._encryption import MASTER_KEY, MasterKey
from ._limits import (
    ENCRYPTED_PREFIX,
    MAX_PRESENCE_USER_ID_LENGTH,
    MAX_USER_INFO_BYTES,
    PRESENCE_PREFIX,
    PRIVATE_PREFIX,
)
from ._settings import App
from ._signing import channel_auth, user_auth

#: Stands in for the app id when only the key and the secret are checked: an authorization
#: needs no app id, and the key and secret follow the same rules as for every other task.
_ANY_APP_ID = "0"


def authorize_channel(
    *,
    key: str,
    secret: str,
    socket_id: str,
    channel: str,
    channel_data: Any = None,
    master_key: MasterKey | None = None,
) -> dict[str, str]:
    """``{"auth": ...}`` for a private channel; with ``channel_data`` (``user_id``, optional
    ``user_info``) for a presence channel; with ``shared_secret`` (the channel's key, base64)
    for a ``private-encrypted-`` channel, which needs `master_key`."""
    App(_ANY_APP_ID, key, secret)
    _validate.socket_id(socket_id, "socket_id")
    _validate.channel_name(channel, "channel")
    presence = channel.startswith(PRESENCE_PREFIX)
    if not presence and not channel.startswith(PRIVATE_PREFIX):
        raise InputError(
            "channel",
            f"only {PRIVATE_PREFIX} and {PRESENCE_PREFIX} channels are authorized "
            f"(others need no authorization); got {_validate._quote(channel)}",
        )
    encoded: str | None = None
    if presence:
        encoded = _presence_data(channel_data)
    elif channel_data is not None:
        raise InputError(
            "channel_data", f"channel_data is for {PRESENCE_PREFIX} channels only (their members)"
        )
    encrypted = channel.startswith(ENCRYPTED_PREFIX)
    if encrypted and master_key is None:
        raise InputError(
            MASTER_KEY,
            f"is required to authorize a {ENCRYPTED_PREFIX} channel: its subscribers get the "
            "channel's key, derived from the app's encryption master key",
        )
    answer: dict[str, str] = {}
    if encoded is not None:
        answer["channel_data"] = encoded
    answer["auth"] = channel_auth(
        key=key, secret=secret, socket_id=socket_id, channel=channel, channel_data=encoded
    )
    if encrypted and master_key is not None:
        answer["shared_secret"] = base64.b64encode(master_key.channel_key(channel)).decode()
    return answer


def authenticate_user(*, key: str, secret: str, socket_id: str, user_data: Any) -> dict[str, str]:
    """``{"auth": ..., "user_data": ...}`` signing the connection in as ``user_data["id"]``."""
    App(_ANY_APP_ID, key, secret)
    _validate.socket_id(socket_id, "socket_id")
    if not isinstance(user_data, dict):
        raise InputError(
            "user_data", 'user_data is an object with the user\'s id (like {"id": "42"})'
        )
    user_id = user_data.get("id")
    if not isinstance(user_id, str) or not user_id:
        raise InputError("user_data.id", _user_id_rule(user_id))
    # The id names the user's own channel (#server-to-user-<id>), which pusher-js joins after
    # signing in, and which sendToUser and terminateUserConnections address.
    _validate.user_id(user_id, "user_data.id")
    encoded = _encode(user_data, "user_data")
    auth = user_auth(key=key, secret=secret, socket_id=socket_id, user_data=encoded)
    return {"auth": auth, "user_data": encoded}


def _user_id_rule(user_id: Any) -> str:
    if user_id is None:
        return "is required: a non-empty string naming the user"
    if isinstance(user_id, int | float) and not isinstance(user_id, bool):
        return "must be a string, not a number: pusher-js drops a sign-in whose id is a number"
    return "must be a non-empty string naming the user"


def _presence_data(channel_data: Any) -> str:
    where = "channel_data"
    if channel_data is None:
        raise InputError(
            where, f"is required for a {PRESENCE_PREFIX} channel: an object with user_id"
        )
    if not isinstance(channel_data, dict):
        raise InputError(where, "channel_data is an object with user_id and optional user_info")
    user_id = channel_data.get("user_id")
    if isinstance(user_id, bool) or not isinstance(user_id, str | int | float):
        raise InputError(
            f"{where}.user_id", "is required: a string (or a number) naming the member"
        )
    if isinstance(user_id, str) and not user_id:
        raise InputError(f"{where}.user_id", "must not be empty")
    shown = user_id if isinstance(user_id, str) else _json.dumps(user_id)
    if len(shown) > MAX_PRESENCE_USER_ID_LENGTH:
        raise InputError(
            f"{where}.user_id",
            f"a presence user_id is at most {MAX_PRESENCE_USER_ID_LENGTH} characters "
            f"(this one has {len(shown)})",
        )
    if "user_info" in channel_data:
        size = len(_encode(channel_data["user_info"], f"{where}.user_info").encode("utf-8"))
        if size > MAX_USER_INFO_BYTES:
            raise InputError(
                f"{where}.user_info",
                f"user_info is at most {MAX_USER_INFO_BYTES} bytes of JSON (this is {size})",
            )
    return _encode(channel_data, where)


def _encode(value: Any, where: str) -> str:
    try:
        return _json.dumps(value)
    except ValueError as error:
        raise InputError(where, f"cannot be written as JSON ({error})") from None
