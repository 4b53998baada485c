"""The answers handed to browsers: their exact JSON, their rules, and the official Python SDK's
answers once its JSON spacing and escaping are made JavaScript's (byte-equality with the Node SDK
is in test_node_sdk.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from pusher.authentication_client import AuthenticationClient

from mesg_pusher import InputError, _json
from mesg_pusher.pusher import MasterKey, authenticate_user, authorize_channel

KEY, SECRET = "278d425bdf160c739803", "7ad3773142a6692b25b8"
MASTER = MasterKey(bytes(range(32)))


def hmac_hex(message: str) -> str:
    return hmac.new(SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()


def test_a_private_channel_gets_auth_only() -> None:
    answer = authorize_channel(
        key=KEY, secret=SECRET, socket_id="1234.1234", channel="private-foobar"
    )
    assert answer == {"auth": f"{KEY}:{hmac_hex('1234.1234:private-foobar')}"}
    # Pusher's documentation example for this key, secret, socket and channel.
    assert answer["auth"].endswith(
        "58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"
    )


def test_a_presence_channel_gets_its_channel_data_as_the_string_signed() -> None:
    channel_data = {"user_id": "10", "user_info": {"name": "Mr. Channels", "ünï": 1.5e-7}}
    answer = authorize_channel(
        key=KEY, secret=SECRET, socket_id="1.2", channel="presence-room", channel_data=channel_data
    )
    encoded = '{"user_id":"10","user_info":{"name":"Mr. Channels","ünï":1.5e-7}}'
    assert _json.dumps(answer) == _json.dumps(
        {"channel_data": encoded, "auth": f"{KEY}:{hmac_hex('1.2:presence-room:' + encoded)}"}
    )
    assert list(answer) == ["channel_data", "auth"]


def test_an_encrypted_channel_gets_the_channels_key() -> None:
    channel = "private-encrypted-room"
    answer = authorize_channel(
        key=KEY, secret=SECRET, socket_id="1.2", channel=channel, master_key=MASTER
    )
    assert list(answer) == ["auth", "shared_secret"]
    assert (
        base64.b64decode(answer["shared_secret"])
        == hashlib.sha256(channel.encode() + MASTER.key).digest()
    )
    assert answer["auth"] == f"{KEY}:{hmac_hex('1.2:' + channel)}"


def test_a_sign_in_gets_user_data_as_the_string_signed() -> None:
    user_data = {"id": "ada", "user_info": {"name": "Ada"}, "watchlist": ["bob"]}
    answer = authenticate_user(key=KEY, secret=SECRET, socket_id="1.2", user_data=user_data)
    encoded = '{"id":"ada","user_info":{"name":"Ada"},"watchlist":["bob"]}'
    assert answer == {"auth": f"{KEY}:{hmac_hex('1.2::user::' + encoded)}", "user_data": encoded}
    assert list(answer) == ["auth", "user_data"]


@pytest.mark.parametrize(
    ("inputs", "where", "rule"),
    [
        ({"channel": "public"}, "channel", "only private- and presence- channels are authorized"),
        ({"channel": "a b"}, "channel", "forbidden character"),
        ({"socket_id": "1234"}, "socket_id", "a socket id looks like"),
        ({"channel": "presence-a"}, "channel_data", "is required for a presence- channel"),
        ({"channel": "presence-a", "channel_data": []}, "channel_data", "an object with user_id"),
        ({"channel": "presence-a", "channel_data": {}}, "channel_data.user_id", "is required"),
        (
            {"channel": "presence-a", "channel_data": {"user_id": ""}},
            "channel_data.user_id",
            "must not be empty",
        ),
        (
            {"channel": "presence-a", "channel_data": {"user_id": True}},
            "channel_data.user_id",
            "is required: a string (or a number)",
        ),
        (
            {"channel": "presence-a", "channel_data": {"user_id": "u" * 129}},
            "channel_data.user_id",
            "at most 128 characters",
        ),
        (
            {"channel": "presence-a", "channel_data": {"user_id": "u", "user_info": "x" * 1100}},
            "channel_data.user_info",
            "at most 1024 bytes",
        ),
        ({"channel_data": {"user_id": "u"}}, "channel_data", "for presence- channels only"),
        (
            {"channel": "private-encrypted-a"},
            "encryption_master_key",
            "is required to authorize a private-encrypted- channel",
        ),
        ({"key": ""}, "key", "must not be empty"),
        ({"secret": ""}, "secret", "must not be empty"),
        ({"key": "a:b"}, "key", "uses only letters"),
    ],
)
def test_bad_authorizations_name_the_input_and_the_rule(
    inputs: dict[str, Any], where: str, rule: str
) -> None:
    arguments: dict[str, Any] = {
        "key": KEY,
        "secret": SECRET,
        "socket_id": "1.2",
        "channel": "private-a",
    }
    with pytest.raises(InputError) as caught:
        authorize_channel(**(arguments | inputs))
    assert caught.value.input == where
    assert rule in caught.value.rule


def test_a_numeric_presence_user_id_is_accepted_as_pusher_accepts_it() -> None:
    answer = authorize_channel(
        key=KEY, secret=SECRET, socket_id="1.2", channel="presence-a", channel_data={"user_id": 7}
    )
    assert answer["channel_data"] == '{"user_id":7}'


@pytest.mark.parametrize(
    ("user_data", "where", "rule"),
    [
        ({}, "user_data.id", "is required: a non-empty string"),
        ({"name": "ada"}, "user_data.id", "is required"),
        ({"id": ""}, "user_data.id", "must be a non-empty string"),
        ({"id": 42}, "user_data.id", "pusher-js drops a sign-in whose id is a number"),
        ({"id": 4.2}, "user_data.id", "not a number"),
        ({"id": None}, "user_data.id", "is required"),
        ({"id": ["a"]}, "user_data.id", "must be a non-empty string"),
        ({"id": "ada lovelace"}, "user_data.id", 'user id "ada lovelace" has the forbidden'),
        ({"id": "u" * 201}, "user_data.id", "a user id is at most 200 characters"),
        ([{"id": "a"}], "user_data", "user_data is an object with the user's id"),
        ("ada", "user_data", "an object"),
    ],
)
def test_a_sign_in_needs_a_non_empty_string_id(user_data: Any, where: str, rule: str) -> None:
    with pytest.raises(InputError) as caught:
        authenticate_user(key=KEY, secret=SECRET, socket_id="1.2", user_data=user_data)
    assert caught.value.input == where
    assert rule in caught.value.rule


def test_caller_values_are_not_changed() -> None:
    channel_data = {"user_id": "u", "user_info": {"a": [1, 2]}}
    before = json.dumps(channel_data)
    authorize_channel(
        key=KEY, secret=SECRET, socket_id="1.2", channel="presence-a", channel_data=channel_data
    )
    assert json.dumps(channel_data) == before


class JavaScriptJson(json.JSONEncoder):
    """The Python SDK's JSON made JavaScript's: compact, raw UTF-8."""

    def __init__(self, **options: Any) -> None:
        options.update(ensure_ascii=False, separators=(",", ":"))
        super().__init__(**options)


def python_sdk(**options: Any) -> AuthenticationClient:
    return AuthenticationClient(app_id="1", key=KEY, secret=SECRET, **options)


@pytest.mark.parametrize(
    "channel_data",
    [
        {"user_id": "10", "user_info": {"name": "Mr. Channels", "twitter": "@pusher"}},
        {"user_id": 'é😀"\\', "user_info": {"nested": [1, None, True, "\u2028", "\x01"]}},
        {"user_id": 12},
    ],
)
def test_presence_answers_equal_the_python_sdks(channel_data: dict[str, Any]) -> None:
    theirs = python_sdk(json_encoder=JavaScriptJson).authenticate(
        "presence-room", "1234.5678", channel_data
    )
    ours = authorize_channel(
        key=KEY,
        secret=SECRET,
        socket_id="1234.5678",
        channel="presence-room",
        channel_data=channel_data,
    )
    assert ours == theirs
    # Without the adjustment only the spacing and escaping of the same JSON differ.
    plain = python_sdk().authenticate("presence-room", "1234.5678", channel_data)
    assert json.loads(plain["channel_data"]) == json.loads(ours["channel_data"])


def test_encrypted_and_private_answers_equal_the_python_sdks() -> None:
    sdk = python_sdk(encryption_master_key_base64=base64.b64encode(MASTER.key).decode())
    theirs = sdk.authenticate("private-encrypted-x", "1.2")
    ours = authorize_channel(
        key=KEY, secret=SECRET, socket_id="1.2", channel="private-encrypted-x", master_key=MASTER
    )
    # The SDK gives shared_secret as bytes.
    assert ours == theirs | {"shared_secret": theirs["shared_secret"].decode()}
    assert authorize_channel(
        key=KEY, secret=SECRET, socket_id="1.2", channel="private-x"
    ) == sdk.authenticate("private-x", "1.2")


@pytest.mark.parametrize(
    "user_data",
    [{"id": "ada"}, {"id": "ada@x.org", "user_info": {"name": 'Ada "L"'}, "watchlist": ["b", "c"]}],
)
def test_sign_ins_equal_the_python_sdks(user_data: dict[str, Any]) -> None:
    theirs = python_sdk(json_encoder=JavaScriptJson).authenticate_user("1.2", user_data)
    assert authenticate_user(key=KEY, secret=SECRET, socket_id="1.2", user_data=user_data) == theirs
