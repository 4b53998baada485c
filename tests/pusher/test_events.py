"""Events and requests: Pusher's limits, data encoding, and caller input left untouched."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

from mesg_pusher import InputError
from mesg_pusher.pusher import (
    App,
    BatchEvent,
    Event,
    MasterKey,
    batch_request,
    encode_data,
    encrypt,
    limits,
    trigger_request,
    user_event,
)

APP = App("1", "key", "secret")
KEY = MasterKey(bytes(32))
NONCE = bytes(24)


def test_limits_are_pushers() -> None:
    assert limits.MAX_DATA_BYTES == 10240
    assert limits.MAX_CHANNELS_PER_EVENT == 100
    assert limits.MAX_CHANNEL_NAME_LENGTH == 200
    assert limits.MAX_EVENT_NAME_LENGTH == 200
    assert limits.MAX_EVENTS_PER_BATCH == 10
    assert limits.SIGNATURE_WINDOW_SECONDS == 600


def test_string_data_is_sent_unchanged_and_anything_else_as_compact_json() -> None:
    assert encode_data('{"a": 1}') == '{"a": 1}'
    assert encode_data({"a": [1, 2.5, None, True], "é": "ü"}) == '{"a":[1,2.5,null,true],"é":"ü"}'
    assert encode_data([]) == "[]"
    assert encode_data(7) == "7"


def test_lone_surrogates_are_escaped_so_the_body_is_valid_utf8() -> None:
    data = encode_data({"x": "\ud800"})
    assert data == '{"x":"\\ud800"}'
    event = Event("e\udfff", data, ("c",))
    body = trigger_request(APP, event, timestamp=1).body
    assert json.loads(body)["name"] == "e\udfff"


def test_data_of_exactly_10240_bytes_is_accepted_and_10241_refused() -> None:
    Event("e", "x" * 10240, ("c",))
    with pytest.raises(InputError) as caught:
        Event("e", "x" * 10241, ("c",))
    assert caught.value.input == "data"
    assert "10240 bytes" in caught.value.rule
    assert "10241" in caught.value.rule


def test_data_size_counts_utf8_bytes_not_characters() -> None:
    Event("e", "é" * 5120, ("c",))  # 10240 bytes
    with pytest.raises(InputError, match="10242 bytes"):
        Event("e", "é" * 5121, ("c",))
    with pytest.raises(InputError, match="10244 bytes"):
        Event("e", "😀" * 2561, ("c",))
    Event("e", "😀" * 2560, ("c",))


def test_a_larger_data_limit_can_be_agreed() -> None:
    Event("e", "x" * 20000, ("c",), max_data_bytes=20480)


@pytest.mark.parametrize("count", [1, 100])
def test_one_to_a_hundred_channels(count: int) -> None:
    event = Event("e", "d", tuple(f"c{i}" for i in range(count)))
    assert len(json.loads(trigger_request(APP, event, timestamp=1).body)["channels"]) == count


@pytest.mark.parametrize("count", [0, 101])
def test_zero_or_more_than_a_hundred_channels_are_refused(count: int) -> None:
    with pytest.raises(InputError) as caught:
        Event("e", "d", tuple(f"c{i}" for i in range(count)))
    assert caught.value.input == "channels"


@pytest.mark.parametrize("name", ["has space", "slash/", "star*", "é", "", "a\n"])
def test_channel_names_with_forbidden_characters_are_refused(name: str) -> None:
    with pytest.raises(InputError) as caught:
        Event("e", "d", ("ok", name))
    assert caught.value.input == "channels[1]"


def test_channel_names_allow_exactly_pushers_characters() -> None:
    Event("e", "d", ("AZaz09_-=@,.;", "private-x", "presence-y", "#server-to-user-1"[1:]))


def test_channel_name_of_200_characters_is_accepted_and_201_refused() -> None:
    Event("e", "d", ("c" * 200,))
    with pytest.raises(InputError, match="at most 200 characters"):
        Event("e", "d", ("c" * 201,))


def test_event_name_of_200_characters_is_accepted_and_201_refused() -> None:
    Event("é" * 200, "d", ("c",))
    with pytest.raises(InputError) as caught:
        Event("é" * 201, "d", ("c",))
    assert caught.value.input == "name"


@pytest.mark.parametrize(
    "socket_id", ["1", "1.", ".1", "a.b", "1.2.3", "1.2\n", "\u0661.\u0662", " 1.2"]
)
def test_malformed_socket_ids_are_refused(socket_id: str) -> None:
    with pytest.raises(InputError) as caught:
        Event("e", "d", ("c",), socket_id)
    assert caught.value.input == "socket_id"


def test_socket_id_goes_into_the_body() -> None:
    body = json.loads(trigger_request(APP, Event("e", "d", ("c",), "123.456"), timestamp=1).body)
    assert body == {"name": "e", "channels": ["c"], "data": "d", "socket_id": "123.456"}


def test_batch_request_carries_each_event_in_order() -> None:
    events = [
        BatchEvent("a", "c1", "1"),
        BatchEvent("b", "c2", encode_data({"k": "v"}), "1.2"),
    ]
    request = batch_request(APP, events, timestamp=1)
    assert request.path == "/apps/1/batch_events"
    assert json.loads(request.body) == {
        "batch": [
            {"name": "a", "channel": "c1", "data": "1"},
            {"name": "b", "channel": "c2", "data": '{"k":"v"}', "socket_id": "1.2"},
        ]
    }


@pytest.mark.parametrize("count", [0, 11])
def test_batches_hold_one_to_ten_events(count: int) -> None:
    with pytest.raises(InputError) as caught:
        batch_request(APP, [BatchEvent("e", "c", "d")] * count, timestamp=1)
    assert caught.value.input == "batch"


def test_batch_event_rules_are_the_events_rules() -> None:
    with pytest.raises(InputError) as caught:
        BatchEvent("e", "bad channel", "d")
    assert caught.value.input == "channel"


def test_building_requests_never_changes_the_callers_values() -> None:
    data: dict[str, Any] = {"nested": {"list": [1, 2]}, "text": "é"}
    before = copy.deepcopy(data)
    channels = ["a", "b"]
    Event("e", encode_data(data), tuple(channels))
    assert data == before
    assert channels == ["a", "b"]


def test_values_are_frozen() -> None:
    event = Event("e", "d", ("c",))
    with pytest.raises(AttributeError):
        event.name = "other"  # type: ignore[misc]


def test_server_to_user_channels_name_a_user() -> None:
    Event("e", "d", ("#server-to-user-u1", "other"))
    BatchEvent("e", "#server-to-user-ada.lovelace", "d")
    with pytest.raises(InputError) as caught:
        Event("e", "d", ("#server-to-user-bad user",))
    assert caught.value.input == "channels[0]"
    assert caught.value.rule.startswith('user id "bad user" has the forbidden character " "')
    with pytest.raises(InputError, match="forbidden character"):
        Event("e", "d", ("#other-prefix",))


def test_encrypted_channels_are_refused_without_an_encryption_key() -> None:
    with pytest.raises(InputError) as caught:
        Event("e", "plain", ("private-encrypted-a",))
    assert caught.value.input == "channels[0]"
    assert "encryption master key: give encryption_master_key" in caught.value.rule
    with pytest.raises(InputError, match="encryption master key") as caught:
        BatchEvent("e", "private-encrypted-a", "d")
    assert caught.value.input == "channel"
    with pytest.raises(InputError, match="encryption_master_key"):
        Event.create("e", "plain", ["private-encrypted-a"])


def test_an_encrypted_channel_goes_alone_with_or_without_the_key() -> None:
    for channels in (["public", "private-encrypted-a"], ["private-encrypted-a", "private-b"]):
        for key in (None, KEY):
            with pytest.raises(InputError) as caught:
                Event.create("e", "d", channels, master_key=key, nonce=NONCE)
            assert caught.value.input == f"channels[{channels.index('private-encrypted-a')}]"
            assert "goes to that channel alone" in caught.value.rule


def test_create_encrypts_for_one_encrypted_channel_and_ignores_the_key_otherwise() -> None:
    sealed = Event.create("e", '{"a":1}', ["private-encrypted-a"], master_key=KEY, nonce=NONCE)
    assert sealed.encrypted
    assert sealed.data == encrypt('{"a":1}', "private-encrypted-a", KEY, NONCE)
    assert json.loads(trigger_request(APP, sealed, timestamp=1).body)["data"] == sealed.data
    plain = Event.create("e", '{"a":1}', ["private-a", "b"], master_key=KEY, nonce=NONCE)
    assert plain == Event("e", '{"a":1}', ("private-a", "b"))
    item = BatchEvent.create("e", "private-encrypted-a", "d", master_key=KEY, nonce=NONCE)
    assert item.data == encrypt("d", "private-encrypted-a", KEY, NONCE)
    assert BatchEvent.create("e", "c", "d", master_key=KEY, nonce=NONCE) == BatchEvent(
        "e", "c", "d"
    )


def test_batch_items_are_encrypted_one_by_one_with_their_own_nonce() -> None:
    nonces = [bytes([n]) * 24 for n in range(3)]
    items = [
        BatchEvent.create("e", "private-encrypted-a", "same", master_key=KEY, nonce=nonce)
        for nonce in nonces
    ]
    datas = [
        json.loads(item["data"])
        for item in json.loads(batch_request(APP, items, timestamp=1).body)["batch"]
    ]
    assert len({d["ciphertext"] for d in datas}) == 3
    assert [base64.b64decode(d["nonce"]) for d in datas] == nonces


def test_the_encrypted_flag_is_only_for_encrypted_channels() -> None:
    with pytest.raises(ValueError, match="private-encrypted- channels only") as caught:
        Event("e", "d", ("private-a",), encrypted=True)
    assert not isinstance(caught.value, InputError)


def test_info_asks_for_attributes_of_the_channels() -> None:
    event = Event.create(
        "e", "d", ["presence-a", "presence-b"], info="user_count, subscription_count"
    )
    assert event.info == ("user_count", "subscription_count")
    assert (
        json.loads(trigger_request(APP, event, timestamp=1).body)["info"]
        == "user_count,subscription_count"
    )
    item = BatchEvent.create("e", "c", "d", info="subscription_count,subscription_count")
    assert item.body()["info"] == "subscription_count"
    assert "info" not in Event.create("e", "d", ["c"], info="").body()
    assert "info" not in BatchEvent("e", "c", "d").body()


@pytest.mark.parametrize(
    ("info", "channels", "rule"),
    [
        (
            "members",
            ["c"],
            'unknown attribute "members" (known here: subscription_count, user_count)',
        ),
        ("cache", ["c"], 'unknown attribute "cache"'),
        ("user_count,", ["presence-a"], "it has an empty item"),
        ("user_count", ["presence-a", "private-b"], 'and "private-b" is not one'),
        ("user_count", ["#server-to-user-u"], "exists on presence- channels only"),
    ],
)
def test_bad_info_is_an_input_error(info: str, channels: list[str], rule: str) -> None:
    with pytest.raises(InputError) as caught:
        Event.create("e", "d", channels, info=info)
    assert caught.value.input == "info"
    assert rule in caught.value.rule
    with pytest.raises(InputError) as caught:
        BatchEvent.create("e", channels[-1], "d", info=info)
    assert caught.value.input == "info"


def test_user_events_go_to_the_users_own_channel() -> None:
    event = user_event("ada.lovelace", "note", '{"x":1}')
    assert event.channels == ("#server-to-user-ada.lovelace",)
    for bad, rule in (
        ("", "must not be empty"),
        ("a b", 'user id "a b" has the forbidden character " "'),
        ("u" * 201, "at most 200"),
    ):
        with pytest.raises(InputError) as caught:
            user_event(bad, "note", "d")
        assert caught.value.input == "user_id"
        assert rule in caught.value.rule
