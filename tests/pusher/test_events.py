"""Events and requests: Pusher's limits, data encoding, and caller input left untouched."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from mesg_pusher import InputError
from mesg_pusher.pusher import (
    App,
    BatchEvent,
    Event,
    batch_request,
    encode_data,
    limits,
    trigger_request,
)

APP = App("1", "key", "secret")


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
    for channels in (("private-encrypted-a",), ("public", "private-encrypted-a")):
        with pytest.raises(InputError) as caught:
            Event("e", "plain", channels)
        assert "encryption master key" in caught.value.rule
    with pytest.raises(InputError, match="encryption master key"):
        BatchEvent("e", "private-encrypted-a", "d")
