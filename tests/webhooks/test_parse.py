"""Webhook bodies read into mesg.yml's events: every Pusher shape, the client event's data as
text, and every body that is not a webhook refused with a reason that quotes nothing of it."""

from __future__ import annotations

from typing import Any

import pytest

from mesg_pusher.mesg import Output, Parameter, load_packaged, validate
from mesg_pusher.webhooks import WebhookEvent, WebhookOutcome, WebhookRefused, parse

from .conftest import APP, NOW_MS, body_of, occupied


def test_every_pusher_event_shape_becomes_its_mesg_event() -> None:
    body = body_of(
        {"name": "channel_occupied", "channel": "news"},
        {"name": "channel_vacated", "channel": "news"},
        {"name": "cache_miss", "channel": "cache-prices"},
        {"name": "member_added", "channel": "presence-room", "user_id": "ada"},
        {"name": "member_removed", "channel": "presence-room", "user_id": "ada"},
        {
            "name": "client_event",
            "channel": "private-chat",
            "event": "client-typing",
            "data": '{"typing":true}',
            "socket_id": "123.456",
        },
        {
            "name": "client_event",
            "channel": "presence-room",
            "event": "client-wave",
            "data": "hello",
            "socket_id": "1.2",
            "user_id": "ada",
        },
        {"name": "subscription_count", "channel": "news", "subscription_count": 3},
    )
    webhook = parse(body, app_key=APP.key)
    assert webhook.time_ms == NOW_MS
    t = {"app_key": APP.key, "time_ms": NOW_MS}
    assert [(e.key, dict(e.data)) for e in webhook.events] == [
        ("channel_occupied", {"channel": "news", **t}),
        ("channel_vacated", {"channel": "news", **t}),
        ("cache_miss", {"channel": "cache-prices", **t}),
        ("member_added", {"channel": "presence-room", "user_id": "ada", **t}),
        ("member_removed", {"channel": "presence-room", "user_id": "ada", **t}),
        (
            "client_event",
            {
                "channel": "private-chat",
                "event": "client-typing",
                "data": '{"typing":true}',
                "socket_id": "123.456",
                **t,
            },
        ),
        (
            "client_event",
            {
                "channel": "presence-room",
                "event": "client-wave",
                "data": "hello",
                "socket_id": "1.2",
                "user_id": "ada",
                **t,
            },
        ),
        ("subscription_count", {"channel": "news", "subscription_count": 3, **t}),
    ]
    events = load_packaged().events
    for event in webhook.events:
        assert validate(events[event.key].data, event.data) == [], event


def test_client_event_data_sent_as_an_object_becomes_its_compact_json_text() -> None:
    """soketi passes the client's data object through; Pusher sends the text."""
    data: dict[str, Any] = {"typing": True, "n": 1.0, "who": "Zoë", "list": [1e21, 0.1]}
    body = body_of(
        {
            "name": "client_event",
            "channel": "private-a",
            "event": "client-x",
            "data": data,
            "socket_id": "1.1",
        },
        {
            "name": "client_event",
            "channel": "private-a",
            "event": "client-y",
            "data": 5,
            "socket_id": "1.1",
        },
    )
    first, second = parse(body, app_key=APP.key).events
    assert first.data["data"] == '{"typing":true,"n":1,"who":"Zoë","list":[1e+21,0.1]}'
    assert second.data["data"] == "5"


def test_fields_not_declared_are_left_out_and_the_webhook_time_and_key_win() -> None:
    body = body_of(
        {**occupied(), "extra": {"x": 1}, "time_ms": 5, "user_id": "u", "app_key": "forged"}
    )
    assert parse(body, app_key=APP.key).events == (
        WebhookEvent(
            "channel_occupied", {"channel": "my-channel", "app_key": APP.key, "time_ms": NOW_MS}
        ),
    )


def test_a_members_user_info_is_what_the_caller_knows_never_what_the_body_says() -> None:
    known = {("presence-room", "ada"): {"name": "Ada"}}
    asked: list[tuple[str, str]] = []

    def user_info(channel: str, user: str) -> dict[str, Any] | None:
        asked.append((channel, user))
        return known.get((channel, user))

    body = body_of(
        {"name": "member_added", "channel": "presence-room", "user_id": "ada"},
        {"name": "member_removed", "channel": "presence-room", "user_id": "ada"},
        # Unknown: absent, whatever the body says (never null).
        {
            "name": "member_added",
            "channel": "presence-room",
            "user_id": "bob",
            "user_info": {"name": "Forged"},
        },
        {"name": "member_added", "channel": "presence-hall", "user_id": "ada"},
        # Only members have it.
        {"name": "channel_occupied", "channel": "presence-room", "user_info": {"x": 1}},
    )
    events = parse(body, app_key=APP.key, user_info=user_info).events
    assert [e.data.get("user_info") for e in events] == [{"name": "Ada"}] * 2 + [None] * 3
    assert all("user_info" not in e.data for e in events[2:])
    assert asked == [
        ("presence-room", "ada"),
        ("presence-room", "ada"),
        ("presence-room", "bob"),
        ("presence-hall", "ada"),
    ]
    declared = load_packaged().events
    for event in events:
        assert validate(declared[event.key].data, event.data) == [], event
    # Without anyone to ask, a body's user_info is never taken either.
    (event,) = parse(
        body_of({**occupied(), "name": "member_added", "user_id": "bob", "user_info": {"a": 1}}),
        app_key=APP.key,
    ).events
    assert "user_info" not in event.data


def test_an_empty_batch_is_a_webhook_with_nothing_to_emit() -> None:
    assert parse(body_of(), app_key=APP.key).events == ()


def test_event_json_is_the_engines_event_data() -> None:
    (event,) = parse(body_of(occupied("a"), time_ms=12), app_key=APP.key).events
    assert event.json() == f'{{"channel":"a","app_key":"{APP.key}","time_ms":12}}'


def test_the_declared_events_can_be_given() -> None:
    declared = {
        "ping": Output(
            "ping", {"at": Parameter("at", "Number"), "time_ms": Parameter("time_ms", "Number")}
        )
    }
    (event,) = parse(body_of({"name": "ping", "at": 2}), declared, app_key=APP.key).events
    assert event == WebhookEvent("ping", {"at": 2, "time_ms": NOW_MS})
    with pytest.raises(WebhookRefused, match=r"not a webhook event this service knows \(ping\)"):
        parse(body_of(occupied()), declared, app_key=APP.key)


NOT_WEBHOOKS: list[tuple[bytes, str]] = [
    (b"", "the body is not UTF-8 JSON"),
    (b"not json", "the body is not UTF-8 JSON"),
    (b'{"time_ms": 1, "events": []', "the body is not UTF-8 JSON"),
    (b'{"time_ms":NaN,"events":[]}', "the body is not UTF-8 JSON"),
    (b'\xff{"time_ms":1,"events":[]}', "the body is not UTF-8 JSON"),
    ('{"time_ms":1,"events":[]}'.encode("utf-16"), "the body is not UTF-8 JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "the body is not UTF-8 JSON"),
    (b"[]", "the body is not a JSON object"),
    (b'"x"', "the body is not a JSON object"),
    (b'{"events":[]}', "time_ms is missing"),
    (b'{"time_ms":null,"events":[]}', "time_ms is missing"),
    (b'{"time_ms":"1","events":[]}', "time_ms is not a number of milliseconds"),
    (b'{"time_ms":true,"events":[]}', "time_ms is not a number of milliseconds"),
    (b'{"time_ms":-1,"events":[]}', "time_ms is not a number of milliseconds"),
    (b'{"time_ms":-1%s,"events":[]}' % (b"0" * 400), "time_ms is not a number of milliseconds"),
    (b'{"time_ms":1}', "events is not a list"),
    (b'{"time_ms":1,"events":{}}', "events is not a list"),
    (b'{"time_ms":1,"events":[1]}', r"events\[0\] is not an object"),
    (b'{"time_ms":1,"events":[{}]}', r"events\[0\].name is not a string"),
    (
        body_of(occupied(), {"name": "channel_exploded", "channel": "x"}),
        r"events\[1\].name is not a webhook event this service knows \(cache_miss, ",
    ),
    (body_of({"name": "Channel_Occupied", "channel": "x"}), "not a webhook event"),
    (
        body_of({"name": "channel_occupied"}),
        r"events\[0\]: Data of event 'channel_occupied' is invalid. Value of 'channel' is "
        "required$",
    ),
    (
        body_of({"name": "channel_occupied", "channel": 7}),
        "Value of 'channel' is not a string$",
    ),
    (
        body_of({"name": "member_added", "channel": "presence-a", "user_id": 12}),
        "Value of 'user_id' is not a string$",
    ),
    (
        body_of({"name": "subscription_count", "channel": "a", "subscription_count": "3"}),
        "Value of 'subscription_count' is not a number$",
    ),
    (
        body_of({"name": "client_event", "channel": "private-a", "event": "client-x"}),
        "Value of 'data' is required. Value of 'socket_id' is required$",
    ),
    (
        body_of(
            {
                "name": "client_event",
                "channel": "private-a",
                "event": "client-x",
                "data": "d",
                "socket_id": "1.1",
                "user_id": ["ada"],
            }
        ),
        "Value of 'user_id' is not a string$",
    ),
]


@pytest.mark.parametrize(("body", "reason"), NOT_WEBHOOKS)
def test_bodies_that_are_not_webhooks(body: bytes, reason: str) -> None:
    with pytest.raises(WebhookRefused, match=reason) as refused:
        parse(body, app_key=APP.key)
    assert refused.value.outcome is WebhookOutcome.NOT_A_WEBHOOK
    respond = refused.value.response
    assert respond.status == 400
    assert respond.body.startswith(b'{"error":"not a Pusher webhook: ')


def test_reasons_never_quote_the_body() -> None:
    marker = "MARKER-7f3a"
    bodies = [
        body_of({"name": marker, "channel": marker}),
        body_of({"name": "channel_occupied", "channel": [marker]}),
        f'{{"time_ms":"{marker}","events":[]}}'.encode(),
        f'{{"{marker}":1}}'.encode(),
    ]
    for body in bodies:
        with pytest.raises(WebhookRefused) as refused:
            parse(body, app_key=APP.key)
        assert marker not in str(refused.value)
        assert marker.encode() not in refused.value.response.body


@pytest.mark.parametrize("digits", [309, 400, 4000])
def test_a_time_ms_beyond_any_clock_is_stale(digits: int) -> None:
    # 10**308 still compares with a clock (and is stale there); 10**309 is past a double's
    # range, where the comparison itself failed before (a bare 500).
    body = b'{"time_ms":1%s,"events":[]}' % (b"0" * digits)
    with pytest.raises(WebhookRefused) as refused:
        parse(body, app_key=APP.key)
    assert (refused.value.outcome, refused.value.detail) == (
        WebhookOutcome.STALE,
        "time_ms is beyond any clock",
    )
    assert refused.value.response.status == 401


def test_the_largest_time_ms_a_clock_compares_is_read() -> None:
    webhook = parse(b'{"time_ms":1%s,"events":[]}' % (b"0" * 308), app_key=APP.key)
    assert webhook.time_ms == 10**308
