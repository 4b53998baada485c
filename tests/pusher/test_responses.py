"""Turning Pusher's status and body into a result or a typed error."""

from __future__ import annotations

import pytest

from mesg_pusher import PusherHTTPError
from mesg_pusher.pusher import interpret


def test_2xx_gives_the_json_answer() -> None:
    assert interpret(200, b"{}") == {}
    assert interpret(200, b'{"channels":{"c":{"subscription_count":2}}}') == {
        "channels": {"c": {"subscription_count": 2}}
    }
    assert interpret(202, b"") == {}
    assert interpret(200, b"not json") == {}


@pytest.mark.parametrize(
    ("status", "reason", "body"),
    [
        (400, "Bad Request", "Expected name parameter to be a string"),
        (401, "Unauthorized", "Invalid signature: Expected HMAC SHA256 hex digest of ..."),
        (403, "Forbidden", "Application disabled"),
        (404, "Not Found", "Unknown app"),
        (
            413,
            "Request Entity Too Large",
            "The data content of this event exceeds the allowed maximum (10240 bytes).",
        ),
        (500, "Internal Server Error", "Internal error"),
    ],
)
def test_error_statuses_carry_status_and_pushers_own_message(
    status: int, reason: str, body: str
) -> None:
    with pytest.raises(PusherHTTPError) as caught:
        interpret(status, body.encode())
    error = caught.value
    assert (error.status, error.message, error.body) == (status, body, body.encode())
    assert str(error) == f"Pusher answered {status} {reason}: {body}"


def test_json_error_bodies_give_their_error_field() -> None:
    with pytest.raises(PusherHTTPError) as caught:
        interpret(400, b'{"error": "bad things"}')
    assert caught.value.message == "bad things"


def test_a_200_that_reports_an_error_is_an_error() -> None:
    # soketi answers API errors with status 200 and this body
    with pytest.raises(PusherHTTPError) as caught:
        interpret(200, b'{"error": "The app does not exist", "code": 404}')
    assert caught.value.status == 404


def test_long_bodies_are_shortened_and_flattened_to_one_line() -> None:
    with pytest.raises(PusherHTTPError) as caught:
        interpret(500, b"line1\nline2 " + b"x" * 2000)
    assert "\n" not in caught.value.message
    assert len(caught.value.message) <= 500
    assert caught.value.message.startswith("line1 line2 ")


def test_unknown_status_has_no_reason() -> None:
    with pytest.raises(PusherHTTPError, match=r"^Pusher answered 599: oops$"):
        interpret(599, b"oops")


def test_an_html_error_page_gives_its_visible_text() -> None:
    page = (
        b'<?xml version="1.0"?><!DOCTYPE html><html><head><title>407 Hidden</title>'
        b"<style>p{}</style></head><body><h1>Unauthorized</h1><p>Ask the &amp; admin.</p>"
        b"<script>var x = 1;</script></body></html>"
    )
    with pytest.raises(PusherHTTPError) as caught:
        interpret(407, page)
    assert caught.value.message == "Unauthorized Ask the & admin."


@pytest.mark.slow
@pytest.mark.parametrize("body", [b"<" * 3_000_000, b"<head" * 500_000, b"<a " * 1_000_000])
def test_hostile_error_pages_are_read_only_so_far(body: bytes) -> None:
    # Unbounded markup stripping took minutes on such bodies and stalled every execution.
    with pytest.raises(PusherHTTPError) as caught:
        interpret(502, body)
    assert len(caught.value.message) <= 500
