"""What Pusher knows about channels and users, and the user endpoints, as signed requests; pure,
the clock's reading passed in.

GET requests carry their own query parameters (``filter_by_prefix``, ``info``), signed with the
``auth_*`` ones. The string to sign holds the values unescaped; the official Node SDK sends them
unescaped too, so what goes on the wire is exactly what was signed. Every value here is checked
to need no escaping (channel name characters, attribute names and commas), so that holds.

The original service took the query as one ``params`` object (``{"filter_by_prefix": ...,
"info": ...}``): `ChannelsQuery.create` and `ChannelQuery.create` take it beside the explicit
inputs, which win.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from .. import _json
from .._errors import InputError
from . import _validate
from ._limits import (
    CHANNEL_INFO_ATTRIBUTES,
    CHANNELS_INFO_ATTRIBUTES,
    PRESENCE_PREFIX,
    USER_COUNT,
)
from ._requests import HttpRequest
from ._settings import App
from ._signing import sign_request

#: The input holding the original service's form of a query.
PARAMS_INPUT: Final = "params"
#: What a query value may hold: the channel name characters and commas, none of which a URL
#: query needs escaped (``=`` ``@`` ``,`` ``;`` are sent as the Node SDK sends them).
_QUERY_VALUE: Final = re.compile(r"[A-Za-z0-9_\-=@,.;]*")


@dataclass(frozen=True, slots=True)
class ChannelsQuery:
    """``GET /apps/<id>/channels``: the occupied channels, those starting with
    `filter_by_prefix` if given, with the `info` attributes of each."""

    filter_by_prefix: str | None = None
    info: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.filter_by_prefix is not None:
            _validate.channel_prefix(self.filter_by_prefix, "filter_by_prefix")
        _validate.info_attributes(",".join(self.info), "info", CHANNELS_INFO_ATTRIBUTES)
        if USER_COUNT in self.info and not (self.filter_by_prefix or "").startswith(
            PRESENCE_PREFIX
        ):
            raise InputError(
                "info",
                f"info {USER_COUNT} needs a filter_by_prefix starting with {PRESENCE_PREFIX} "
                f"(user counts exist on {PRESENCE_PREFIX} channels only; Pusher refuses it)",
            )

    @classmethod
    def create(
        cls,
        *,
        filter_by_prefix: str | None = None,
        info: str | None = None,
        params: Any = None,
    ) -> ChannelsQuery:
        """The query from its parts (and `params`, see the module); empty strings count as not
        given."""
        given = merge_params(
            params, {"filter_by_prefix": filter_by_prefix, "info": info}, PARAMS_INPUT
        )
        prefix, prefix_where = given.get("filter_by_prefix", ("", "filter_by_prefix"))
        text, info_where = given.get("info", ("", "info"))
        attributes = _validate.info_attributes(text, info_where, CHANNELS_INFO_ATTRIBUTES)
        try:
            return cls(prefix or None, attributes)
        except InputError as error:
            # Name the input as the caller gave it: `params.filter_by_prefix` or the explicit one.
            where = {"filter_by_prefix": prefix_where, "info": info_where}.get(error.input)
            raise InputError(where or error.input, error.rule) from None

    def params(self) -> dict[str, str]:
        params: dict[str, str] = {}
        if self.filter_by_prefix:
            params["filter_by_prefix"] = self.filter_by_prefix
        if self.info:
            params["info"] = ",".join(self.info)
        return params


@dataclass(frozen=True, slots=True)
class ChannelQuery:
    """``GET /apps/<id>/channels/<channel>``: whether `channel` is occupied, with the `info`
    attributes (``user_count`` of presence channels only)."""

    channel: str
    info: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _validate.channel_name(self.channel, "channel")
        _validate.info_attributes(",".join(self.info), "info", CHANNEL_INFO_ATTRIBUTES)
        _validate.user_count_on_presence(self.info, self.channel, "info")

    @classmethod
    def create(cls, channel: str, *, info: str | None = None, params: Any = None) -> ChannelQuery:
        """The query from its parts; `params` may hold ``info`` only."""
        given = merge_params(params, {"info": info}, PARAMS_INPUT, known=("info",))
        text, where = given.get("info", ("", "info"))
        attributes = _validate.info_attributes(text, where, CHANNEL_INFO_ATTRIBUTES)
        try:
            return cls(channel, attributes)
        except InputError as error:
            raise InputError(where if error.input == "info" else error.input, error.rule) from None

    def params(self) -> dict[str, str]:
        return {"info": ",".join(self.info)} if self.info else {}


def merge_params(
    params: Any,
    explicit: Mapping[str, str | None],
    where: str = PARAMS_INPUT,
    known: Sequence[str] = ("filter_by_prefix", "info"),
) -> dict[str, tuple[str, str]]:
    """The query's values, each with the input it came from: an explicit input wins over the
    same key in `params`; empty strings count as not given; any other key in `params` is an
    input error. ``info`` in `params` may also be an array of names, which the original
    service sent joined by commas."""
    merged: dict[str, tuple[str, str]] = {}
    if params is not None:
        if not isinstance(params, dict):
            raise InputError(where, f"params is an object with {_keys(known)}")
        for key, value in params.items():
            if key not in known:
                shown = _validate._quote(key)
                raise InputError(
                    where, f"unknown query parameter {shown} (params takes {_keys(known)})"
                )
            text = _param_text(value, key, f"{where}.{key}")
            if text:
                merged[key] = (text, f"{where}.{key}")
    for key, value in explicit.items():
        if value:
            merged[key] = (value, key)
    return merged


def _param_text(value: Any, key: str, where: str) -> str:
    if isinstance(value, str):
        return value
    if key == "info" and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ",".join(value)
    what = "a comma list or an array of attribute names" if key == "info" else "a string"
    raise InputError(where, f"{key} is {what}")


def _keys(known: Sequence[str]) -> str:
    return " and ".join(known) if len(known) <= 2 else ", ".join(known)


def channels_request(app: App, query: ChannelsQuery, *, timestamp: int) -> HttpRequest:
    """``GET /apps/<id>/channels`` signed at `timestamp` (Unix seconds)."""
    return _get(app, f"/apps/{app.app_id}/channels", query.params(), timestamp)


def channel_request(app: App, query: ChannelQuery, *, timestamp: int) -> HttpRequest:
    """``GET /apps/<id>/channels/<channel>`` signed at `timestamp` (Unix seconds)."""
    return _get(app, f"/apps/{app.app_id}/channels/{query.channel}", query.params(), timestamp)


def users_request(app: App, channel: str, *, timestamp: int) -> HttpRequest:
    """``GET /apps/<id>/channels/<channel>/users``: the members of a presence channel."""
    _validate.presence_channel(channel, "channel", "users lists the members")
    return _get(app, f"/apps/{app.app_id}/channels/{channel}/users", {}, timestamp)


def terminate_request(app: App, user_id: str, *, timestamp: int) -> HttpRequest:
    """``POST /apps/<id>/users/<user_id>/terminate_connections``: closes every connection signed
    in as the user. The body is ``{}``, as the Node SDK sends it."""
    _validate.user_id(user_id, "user_id")
    path = f"/apps/{app.app_id}/users/{user_id}/terminate_connections"
    body = _json.dumps({}).encode("utf-8")
    query = sign_request(
        key=app.key, secret=app.secret, method="POST", path=path, timestamp=timestamp, body=body
    )
    return HttpRequest("POST", path, query, body)


def _get(app: App, path: str, params: Mapping[str, str], timestamp: int) -> HttpRequest:
    for value in params.values():
        if _QUERY_VALUE.fullmatch(value) is None:
            # The value rules above admit nothing else: a defect if this is ever reached.
            raise ValueError("a query value would need escaping")
    query = sign_request(
        key=app.key,
        secret=app.secret,
        method="GET",
        path=path,
        timestamp=timestamp,
        params=params,
    )
    return HttpRequest("GET", path, query, b"")
