"""The pure core on arbitrary values: each function gives its result or its own error (an
`InputError` naming the input, a `PusherHTTPError`, a `ProtocolError`), never anything else, and
what it builds holds together (a built request is signed, its body is JSON)."""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from mesg_pusher import InputError, PusherHTTPError
from mesg_pusher._secrets import scrub
from mesg_pusher.pusher import (
    App,
    BatchEvent,
    Connection,
    Event,
    Proxy,
    batch_request,
    encode_data,
    interpret,
    trigger_request,
    verify_signature,
)
from mesg_pusher.pusher._responses import MAX_MESSAGE_CHARS
from mesg_pusher.pusher.transport._http11 import ProtocolError, ResponseParser
from tests.fuzz.strategies import json_values, numbers, passwords, secrets, texts
from tests.support.secret_oracle import exposure

pytestmark = pytest.mark.slow

maybe_text = st.one_of(st.none(), texts)
T = TypeVar("T")


def attempt(build: Callable[[], T], *expected: type[Exception]) -> tuple[T | None, Any]:
    """What `build` gives, or the error of one of the `expected` kinds it raises instead."""
    try:
        return build(), None
    except expected as error:
        return None, error


@given(
    host=maybe_text,
    cluster=maybe_text,
    tls=st.one_of(st.booleans(), json_values),
    port=st.one_of(st.none(), numbers(), json_values),
    timeout_ms=st.one_of(st.none(), numbers(), json_values),
    proxy=maybe_text,
)
def test_connection_settings_are_built_or_refused_by_name(**settings: Any) -> None:
    connection, error = attempt(lambda: Connection.create(**settings), InputError)
    if connection is None:
        assert error.input in ("host", "cluster", "scheme", "port", "timeout_ms", "proxy")
        return
    assert connection.base_url.startswith(f"{connection.scheme}://{connection.host}:")
    assert "\r" not in connection.base_url
    assert "\n" not in connection.base_url
    assert " " not in connection.base_url
    assert "@" not in connection.base_url


@given(st.one_of(texts, st.text()), passwords, st.sampled_from(["", ":3128", ":0", ":x", ":99999"]))
def test_a_proxy_url_is_read_or_refused_without_showing_its_password(
    host: str, password: str, port: str
) -> None:
    assume(password not in host)
    url = f"http://alice:{urllib.parse.quote(password, safe='')}@{host}{port}"
    proxy, error = attempt(lambda: Proxy.from_url(url), InputError)
    if proxy is None:
        assert error.input == "proxy"
        if exposure(str(error), password) is not None:
            # A password made of the message's own words: the message must be the one any
            # other password gets.
            plain = f"http://alice:{'z' * len(password)}@{host}{port}"
            assert str(attempt(lambda: Proxy.from_url(plain), InputError)[1]) == str(error)
        return
    if "@" not in host:  # else part of the host is read as the password
        assert proxy.password == password
    for secret in {password, proxy.password or ""}:
        if len(secret) >= 8:
            assert exposure(proxy.redacted, secret) is None
            assert exposure(repr(proxy), secret) is None


SECRET_RULES = {
    "an app secret must not be empty",
    "an app secret is at most 4096 characters",
    "an app secret must be valid Unicode text (it holds a lone surrogate)",
}


@given(st.text(), st.text(), st.text())
def test_app_credentials_are_taken_or_refused_by_name(app_id: str, key: str, secret: str) -> None:
    app, error = attempt(lambda: App(app_id, key, secret), InputError)
    if app is None:
        assert error.input in ("app_id", "key", "secret")
        # Nothing of the secret is quoted: the message is the one any other secret gets (an
        # exposure check would take the message's own words for a secret made of them).
        if error.input == "secret":
            assert error.rule in SECRET_RULES
        else:
            _, same = attempt(lambda: App(app_id, key, "another-secret"), InputError)
            assert str(same) == str(error)
        return
    if len(secret) >= 8 and secret not in app_id + key:
        assert secret not in repr(app)


@given(json_values)
def test_event_data_is_encoded_or_refused(data: Any) -> None:
    encoded, error = attempt(lambda: encode_data(data), InputError)
    if encoded is None:
        assert error.input == "data"
        return
    if not isinstance(data, str):
        assert json.loads(encoded) is not None or encoded == "null"


@given(
    name=texts,
    channels=st.lists(texts, max_size=4),
    data=st.one_of(texts, json_values.map(json.dumps)),
    socket_id=maybe_text,
    secret=secrets,
    timestamp=st.integers(0, 2**40),
)
def test_a_built_request_is_signed_and_its_body_is_json(
    name: str, channels: list[str], data: str, socket_id: str | None, secret: str, timestamp: int
) -> None:
    try:
        app = App("3", "key", secret)
        event = Event(name, data, tuple(channels), socket_id)
        batch = BatchEvent(name, channels[0] if channels else "", data, socket_id)
    except InputError:
        return
    for request in (
        trigger_request(app, event, timestamp=timestamp),
        batch_request(app, [batch], timestamp=timestamp),
    ):
        params = dict(urllib.parse.parse_qsl(request.query))
        assert verify_signature(secret, request.method, request.path, params)
        assert params["body_md5"] == hashlib.md5(request.body).hexdigest()
        assert params["auth_timestamp"] == str(timestamp)
        json.loads(request.body)
        assert all(secret not in value for value in params.values())


@given(st.integers(-1000, 2000), st.binary(max_size=4000))
def test_any_answer_is_a_result_or_pushers_refusal(status: int, body: bytes) -> None:
    result, error = attempt(lambda: interpret(status, body), PusherHTTPError)
    if result is None:
        assert error.body == body
        assert len(error.message) <= MAX_MESSAGE_CHARS
        assert "\n" not in str(error)
        return
    assert 200 <= status < 300
    assert isinstance(result, dict)


@given(st.lists(st.binary(min_size=1, max_size=200), max_size=12), st.booleans())
def test_the_http_parser_reads_any_bytes_or_says_why_not(chunks: list[bytes], eof: bool) -> None:
    parser = ResponseParser()
    try:
        for chunk in chunks:
            if parser.feed(chunk):
                break
        else:
            if eof:
                parser.feed_eof()
    except ProtocolError:
        return
    if parser.done:
        assert 100 <= parser.status <= 999


@given(st.text(), st.lists(secrets, max_size=3))
def test_scrubbing_takes_any_text(text: str, found: list[str]) -> None:
    scrubbed = scrub(text, found)
    assert isinstance(scrubbed, str)
    for secret in found:
        assert secret not in scrubbed
