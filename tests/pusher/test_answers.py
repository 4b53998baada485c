"""Pusher's answers (as `interpret` parses them) turned into each task's success data."""

from __future__ import annotations

from typing import Any

import pytest

from mesg_pusher import PusherError
from mesg_pusher.pusher import (
    batch_answer,
    channel_answer,
    channels_answer,
    interpret,
    publish_answer,
    terminate_answer,
    users_answer,
)


def parsed(body: bytes) -> dict[str, Any]:
    return interpret(200, body)


def test_publishes_say_sent_and_give_the_channels_only_when_info_was_asked() -> None:
    answer = parsed(b'{"channels":{"presence-a":{"user_count":4,"subscription_count":13}}}')
    assert publish_answer(answer, info_asked=True) == {
        "message": "sent",
        "channels": {"presence-a": {"user_count": 4, "subscription_count": 13}},
    }
    assert publish_answer(answer, info_asked=False) == {"message": "sent"}
    assert publish_answer(parsed(b"{}"), info_asked=False) == {"message": "sent"}
    # A server that ignores info (soketi answers {"ok": true}) gets no made-up channels.
    assert publish_answer(parsed(b'{"ok":true}'), info_asked=True) == {"message": "sent"}


def test_batches_give_item_i_for_event_i_when_info_was_asked() -> None:
    answer = parsed(b'{"batch":[{"subscription_count":2},{}]}')
    assert batch_answer(answer, info_asked=True) == {
        "message": "sent",
        "batch": [{"subscription_count": 2}, {}],
    }
    assert batch_answer(answer, info_asked=False) == {"message": "sent"}
    assert batch_answer(parsed(b'{"batch":"x"}'), info_asked=True) == {"message": "sent"}


def test_terminate_says_terminated() -> None:
    assert terminate_answer(parsed(b"{}")) == {"message": "terminated"}


def test_channels_gives_name_to_attributes() -> None:
    body = b'{"channels":{"presence-a":{"user_count":3},"presence-b":{}}}'
    assert channels_answer(parsed(body)) == {
        "channels": {"presence-a": {"user_count": 3}, "presence-b": {}}
    }
    assert channels_answer(parsed(b'{"channels":{}}')) == {"channels": {}}


def test_channel_gives_occupied_and_the_attributes_pusher_returned() -> None:
    body = b'{"occupied":true,"user_count":3,"subscription_count":5,"cache":{"data":"x","ttl":60}}'
    assert channel_answer(parsed(body)) == {
        "occupied": True,
        "user_count": 3,
        "subscription_count": 5,
        "cache": {"data": "x", "ttl": 60},
    }
    assert channel_answer(parsed(b'{"occupied":false}')) == {"occupied": False}
    # What the output does not declare, or of the wrong type, is left out.
    odd = b'{"occupied":true,"extra":1,"user_count":"3","subscription_count":true}'
    assert channel_answer(parsed(odd)) == {"occupied": True}


def test_users_gives_the_array() -> None:
    body = b'{"users":[{"id":"1"},{"id":"ada"}]}'
    assert users_answer(parsed(body)) == {"users": [{"id": "1"}, {"id": "ada"}]}
    assert users_answer(parsed(b'{"users":[]}')) == {"users": []}


@pytest.mark.parametrize(
    ("read", "body", "missing"),
    [
        (channels_answer, b"{}", "query has no channels object (name to attributes)"),
        (channels_answer, b'{"channels":[]}', "channels object"),
        (channels_answer, b'{"channels":{"a":1}}', "channels object"),
        (channel_answer, b"{}", "query has no occupied (true or false)"),
        (channel_answer, b'{"occupied":"yes"}', "occupied"),
        (users_answer, b'{"users":{}}', "users array"),
        (users_answer, b'{"users":["1"]}', "users array"),
        (users_answer, b"", "users array"),
    ],
)
def test_an_answer_without_what_the_endpoint_returns_is_an_error(
    read: Any, body: bytes, missing: str
) -> None:
    with pytest.raises(PusherError) as caught:
        read(parsed(body))
    assert missing in str(caught.value)
    assert str(caught.value).startswith("Pusher's answer to the ")
