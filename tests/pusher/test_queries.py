"""Channel and user queries: the requests, the query rules, the original service's ``params``,
and the official Python SDK's requests where it is right (its GETs sign an empty body's MD5
too, which Pusher accepts, so their signature is checked with our verifier instead)."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import parse_qsl

import pytest
from pusher.pusher_client import PusherClient

from mesg_pusher import InputError
from mesg_pusher.pusher import (
    App,
    ChannelQuery,
    ChannelsQuery,
    HttpRequest,
    channel_request,
    channels_request,
    terminate_request,
    users_request,
    verify_signature,
)

APP = App("42", "key", "secret")


def params_of(request: HttpRequest) -> dict[str, str]:
    return dict(parse_qsl(request.query, keep_blank_values=True))


def test_channels_request_signs_its_query() -> None:
    query = ChannelsQuery.create(filter_by_prefix="presence-", info="user_count")
    request = channels_request(APP, query, timestamp=1353088179)
    assert request.method == "GET"
    assert request.path == "/apps/42/channels"
    assert request.body == b""
    assert request.query.startswith(
        "auth_key=key&auth_timestamp=1353088179&auth_version=1.0"
        "&filter_by_prefix=presence-&info=user_count&auth_signature="
    )
    assert verify_signature("secret", "GET", request.path, params_of(request))
    assert "body_md5" not in request.query


def test_query_values_go_on_the_wire_as_they_are_signed() -> None:
    """``=`` ``@`` ``,`` ``;`` are left unescaped, as the Node SDK sends them."""
    query = ChannelsQuery.create(filter_by_prefix="presence-a=b@c,d;e.f")
    request = channels_request(APP, query, timestamp=1)
    assert "&filter_by_prefix=presence-a=b@c,d;e.f&" in request.target


def test_a_query_without_parameters_is_signed_alone() -> None:
    request = channels_request(APP, ChannelsQuery(), timestamp=5)
    assert request.query.startswith(
        "auth_key=key&auth_timestamp=5&auth_version=1.0&auth_signature="
    )
    assert verify_signature("secret", "GET", "/apps/42/channels", params_of(request))


def test_channel_users_and_terminate_requests() -> None:
    channel = channel_request(
        APP, ChannelQuery.create("presence-room", info="user_count,cache"), timestamp=1
    )
    assert channel.path == "/apps/42/channels/presence-room"
    assert params_of(channel)["info"] == "user_count,cache"
    users = users_request(APP, "presence-room", timestamp=1)
    assert (users.method, users.path) == ("GET", "/apps/42/channels/presence-room/users")
    terminate = terminate_request(APP, "ada", timestamp=1)
    assert (terminate.method, terminate.path) == (
        "POST",
        "/apps/42/users/ada/terminate_connections",
    )
    assert terminate.body == b"{}"
    assert params_of(terminate)["body_md5"] == "99914b932bd37a50b983c5e7c90ae93b"
    for request in (channel, users, terminate):
        assert verify_signature("secret", request.method, request.path, params_of(request))


def test_params_is_the_original_services_form_of_the_query() -> None:
    params = {"filter_by_prefix": "presence-", "info": "user_count"}
    assert ChannelsQuery.create(params=params) == ChannelsQuery("presence-", ("user_count",))
    # The original passed params to the Node SDK, which writes an array joined by commas.
    listed = {"filter_by_prefix": "presence-", "info": ["user_count", "subscription_count"]}
    assert ChannelsQuery.create(params=listed).info == ("user_count", "subscription_count")
    assert ChannelQuery.create("c", params={"info": "subscription_count"}).info == (
        "subscription_count",
    )


def test_explicit_inputs_win_over_params_and_params_are_not_changed() -> None:
    params: dict[str, Any] = {"filter_by_prefix": "private-", "info": ["subscription_count"]}
    before = copy.deepcopy(params)
    query = ChannelsQuery.create(filter_by_prefix="presence-", info="user_count", params=params)
    assert query == ChannelsQuery("presence-", ("user_count",))
    assert params == before
    # An empty explicit input counts as not given.
    assert ChannelsQuery.create(filter_by_prefix="", params=params).filter_by_prefix == "private-"
    assert ChannelsQuery.create(params={"filter_by_prefix": "", "info": ""}) == ChannelsQuery()


@pytest.mark.parametrize(
    ("inputs", "where", "rule"),
    [
        ({"info": "members"}, "info", 'unknown attribute "members"'),
        ({"info": "cache"}, "info", 'unknown attribute "cache"'),
        ({"info": "user_count"}, "info", "needs a filter_by_prefix starting with presence-"),
        (
            {"filter_by_prefix": "private-", "info": "user_count"},
            "info",
            "needs a filter_by_prefix starting with presence-",
        ),
        ({"params": {"info": "user_count"}}, "params.info", "needs a filter_by_prefix"),
        ({"params": {"info": "bogus"}}, "params.info", 'unknown attribute "bogus"'),
        ({"params": {"limit": 5}}, "params", 'unknown query parameter "limit"'),
        ({"params": ["info"]}, "params", "params is an object with filter_by_prefix and info"),
        ({"params": {"info": 3}}, "params.info", "a comma list or an array of attribute names"),
        ({"params": {"filter_by_prefix": ["a"]}}, "params.filter_by_prefix", "is a string"),
        ({"filter_by_prefix": "a b"}, "filter_by_prefix", 'prefix "a b" has the forbidden'),
        (
            {"params": {"filter_by_prefix": "a&b=c"}},
            "params.filter_by_prefix",
            "forbidden character",
        ),
        ({"filter_by_prefix": "p" * 201}, "filter_by_prefix", "at most 200 characters"),
    ],
)
def test_bad_channels_queries_name_the_input_and_the_rule(
    inputs: dict[str, Any], where: str, rule: str
) -> None:
    with pytest.raises(InputError) as caught:
        ChannelsQuery.create(**inputs)
    assert caught.value.input == where
    assert rule in caught.value.rule


@pytest.mark.parametrize(
    ("channel", "inputs", "where", "rule"),
    [
        ("private-a", {"info": "user_count"}, "info", '"private-a" is not one'),
        ("a", {"params": {"info": "user_count"}}, "params.info", "presence- channels only"),
        ("a", {"info": "users"}, "info", 'unknown attribute "users"'),
        ("a", {"params": {"filter_by_prefix": "x"}}, "params", "(params takes info)"),
        ("a b", {}, "channel", "forbidden character"),
        ("#server-to-user-u", {}, "channel", 'forbidden character "#"'),
    ],
)
def test_bad_channel_queries_name_the_input_and_the_rule(
    channel: str, inputs: dict[str, Any], where: str, rule: str
) -> None:
    with pytest.raises(InputError) as caught:
        ChannelQuery.create(channel, **inputs)
    assert caught.value.input == where
    assert rule in caught.value.rule


def test_users_are_listed_for_presence_channels_only() -> None:
    for channel in ("public", "private-a", "private-encrypted-a"):
        with pytest.raises(InputError) as caught:
            users_request(APP, channel, timestamp=1)
        assert caught.value.input == "channel"
        assert "users lists the members of presence- channels only" in caught.value.rule


def test_terminate_takes_a_user_id() -> None:
    for bad in ("", "a/b", "a b", "u" * 201):
        with pytest.raises(InputError) as caught:
            terminate_request(APP, bad, timestamp=1)
        assert caught.value.input == "user_id"


def test_the_value_objects_cannot_be_built_invalid() -> None:
    with pytest.raises(InputError):
        ChannelsQuery(None, ("user_count",))
    with pytest.raises(InputError):
        ChannelQuery("public", ("user_count",))
    with pytest.raises(InputError):
        ChannelQuery("public", ("nope",))


OFFICIAL = PusherClient(app_id=APP.app_id, key=APP.key, secret=APP.secret, ssl=False)


def official_request(method: Any, *args: Any) -> Any:
    return method.make_request(*args)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (
            lambda t: channels_request(
                APP,
                ChannelsQuery.create(filter_by_prefix="presence-", info="user_count"),
                timestamp=t,
            ),
            lambda: official_request(OFFICIAL.channels_info, "presence-", ["user_count"]),
        ),
        (
            lambda t: channels_request(APP, ChannelsQuery(), timestamp=t),
            lambda: official_request(OFFICIAL.channels_info),
        ),
        (
            lambda t: channel_request(
                APP, ChannelQuery.create("private-a", info="subscription_count"), timestamp=t
            ),
            lambda: official_request(OFFICIAL.channel_info, "private-a", ["subscription_count"]),
        ),
        (
            lambda t: users_request(APP, "presence-a", timestamp=t),
            lambda: official_request(OFFICIAL.users_info, "presence-a"),
        ),
    ],
)
def test_the_python_sdk_asks_the_same_and_signs_by_the_same_rule(ours: Any, theirs: Any) -> None:
    request = theirs()
    mine: HttpRequest = ours(int(request.query_params["auth_timestamp"]))
    assert request.path == mine.path
    assert request.method == mine.method
    theirs_params = dict(request.query_params)
    assert verify_signature(APP.secret, request.method, request.path, theirs_params)
    ignored = {"auth_signature", "body_md5"}
    assert {k: v for k, v in theirs_params.items() if k not in ignored} == {
        k: v for k, v in params_of(mine).items() if k not in ignored
    }
