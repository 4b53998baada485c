"""The HTTP edge's decisions, pure: request heads read or refused (RFC 9112's strict rules, with
refusals that never quote the request), answers' bytes, the listener's share of the open-file
limit, and how often a repeated log line is written."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mesg_pusher.runtime._http_rules import (
    MAX_CONNECTIONS,
    MAX_HEADER_LINES,
    MIN_CONNECTIONS,
    Refusal,
    RequestHead,
    Response,
    Throttle,
    connection_cap,
    error_response,
    head_end,
    parse_head,
    response_bytes,
)

PUSHER_HEAD = (
    b"POST /webhooks HTTP/1.1\r\n"
    b"Host: example.com:3000\r\n"
    b"User-Agent: Go-http-client/1.1\r\n"
    b"Content-Length: 79\r\n"
    b"Content-Type: application/json\r\n"
    b"X-Pusher-Key: 278d425bdf160c739803\r\n"
    b"X-Pusher-Signature: " + b"ab" * 32 + b"\r\n"
    b"Accept-Encoding: gzip"
)


def test_a_pusher_webhook_head_is_read() -> None:
    head = parse_head(PUSHER_HEAD)
    assert isinstance(head, RequestHead)
    assert (head.method, head.path, head.version) == ("POST", "/webhooks", "HTTP/1.1")
    assert head.content_length == 79
    assert head.keep_alive
    assert not head.expects_continue
    assert head.header("x-pusher-key") == "278d425bdf160c739803"
    assert head.header("X-PUSHER-SIGNATURE") == "ab" * 32
    assert head.header("X-Other") is None


@pytest.mark.parametrize(
    ("version", "connection", "keep_alive"),
    [
        ("HTTP/1.1", None, True),
        ("HTTP/1.1", "close", False),
        ("HTTP/1.1", "Keep-Alive, Close", False),
        ("HTTP/1.0", None, False),
        ("HTTP/1.0", "keep-alive", True),
    ],
)
def test_whether_the_connection_carries_another_request(
    version: str, connection: str | None, keep_alive: bool
) -> None:
    lines = f"GET /health {version}\r\nHost: x"
    if connection is not None:
        lines += f"\r\nConnection: {connection}"
    head = parse_head(lines.encode())
    assert isinstance(head, RequestHead)
    assert head.keep_alive is keep_alive


def test_targets_headers_and_expectations() -> None:
    head = parse_head(
        b"POST http://example.com:3000/webhooks?x=1#f HTTP/1.1\r\n"
        b"Expect: 100-Continue\r\nContent-Length: 1, 1\r\nX-A: one\r\nx-a:  two \t"
    )
    assert isinstance(head, RequestHead)
    assert head.path == "/webhooks"
    assert head.expects_continue
    assert head.content_length == 1
    assert head.header("x-a") == "one, two"
    star = parse_head(b"OPTIONS * HTTP/1.1\r\nHost: x")
    assert isinstance(star, RequestHead)
    assert star.path == "*"
    http10 = parse_head(b"POST / HTTP/1.0\r\nExpect: 100-continue")
    assert isinstance(http10, RequestHead)
    assert not http10.expects_continue  # an HTTP/1.0 client does not wait for it


def test_a_huge_content_length_is_read_as_above_every_limit() -> None:
    head = parse_head(b"POST / HTTP/1.1\r\nContent-Length: " + b"9" * 5000)
    assert isinstance(head, RequestHead)
    assert head.content_length == 10**18 - 1


def test_header_values_keep_bytes_that_are_not_utf8() -> None:
    head = parse_head(b"GET / HTTP/1.1\r\nX-Pusher-Key: caf\xe9\xff")
    assert isinstance(head, RequestHead)
    assert head.header("x-pusher-key") == "caf\udce9\udcff"


MARKER = b"SECRET-MARKER-91"

REFUSED = [
    (b"", 400),
    (b"GARBAGE", 400),
    (b"GET /  HTTP/1.1", 400),
    (b"GET / HTTP/1.1 ", 400),
    (b"get / http/1.1", 400),
    (b"GET / HTTP/1.1\x00", 400),
    (b"GET /caf\xe9 HTTP/1.1", 400),
    (b"GET " + MARKER + b" HTTP/1.1", 400),
    (b"GET / HTTP/2.0", 505),
    (b"GET / HTTP/1.2", 505),
    (b"GET / HTTP/1.1\r\nX-Key " + MARKER, 400),
    (b"GET / HTTP/1.1\r\nX-Key : " + MARKER, 400),
    (b"GET / HTTP/1.1\r\n folded: " + MARKER, 400),
    (b"GET / HTTP/1.1\r\nX: a\r\n continued " + MARKER, 400),
    (b"GET / HTTP/1.1\r\nX: a\nY: " + MARKER, 400),
    (b"GET / HTTP/1.1\r\nX: a\rY: " + MARKER, 400),
    (b"GET / HTTP/1.1\r\nX: a\x00" + MARKER, 400),
    (b"GET / HTTP/1.1\r\n: " + MARKER, 400),
    (b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6", 400),
    (b"POST / HTTP/1.1\r\nContent-Length: 5, 6", 400),
    (b"POST / HTTP/1.1\r\nContent-Length: -1", 400),
    (b"POST / HTTP/1.1\r\nContent-Length: 0x10", 400),
    (b"POST / HTTP/1.1\r\nContent-Length: \xd9\xa3", 400),  # an Arabic-Indic 3
    (b"POST / HTTP/1.1\r\nContent-Length:", 400),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked", 411),
    (b"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked", 411),
    (b"GET / HTTP/1.1" + b"\r\nX: y" * (MAX_HEADER_LINES + 1), 431),
]


@pytest.mark.parametrize(("head", "status"), REFUSED)
def test_what_is_refused_and_with_which_status(head: bytes, status: int) -> None:
    refused = parse_head(head)
    assert isinstance(refused, Refusal)
    assert refused.status == status
    assert MARKER.decode() not in refused.detail
    assert (
        refused.reason
        == {
            400: "malformed",
            411: "length_required",
            431: "head_too_large",
            505: "version",
        }[status]
    )


@given(st.binary(max_size=300))
@settings(max_examples=300, deadline=None)
def test_any_bytes_are_read_or_refused_never_raise(data: bytes) -> None:
    assert isinstance(parse_head(data), RequestHead | Refusal)


@given(st.lists(st.sampled_from([b"GET", b" ", b"/", b"HTTP/1.1", b"\r\n", b":", b"a", b"\t"])))
@settings(max_examples=300, deadline=None)
def test_near_misses_are_read_or_refused_never_raise(parts: list[bytes]) -> None:
    assert isinstance(parse_head(b"".join(parts)), RequestHead | Refusal)


def test_a_long_run_of_blanks_in_a_value_is_read_in_one_pass() -> None:
    head = parse_head(b"GET / HTTP/1.1\r\nX: a" + b" " * 16000 + b"b ")
    assert isinstance(head, RequestHead)
    assert head.header("x") == "a" + " " * 16000 + "b"


def test_the_end_of_a_head_is_found_across_reads() -> None:
    buffer = bytearray(b"GET / HTTP/1.1\r\nHost: x\r\n\r")
    assert head_end(buffer) == -1
    searched = len(buffer)
    buffer += b"\nnext"
    assert head_end(buffer, searched) == buffer.index(b"\r\n\r\n")


def test_an_answer_is_written_with_its_length_and_when_the_connection_ends() -> None:
    response = error_response(405, "method not allowed", ("Allow", "GET, HEAD"))
    written = response_bytes(response, date="Mon, 01 Jan 2024 00:00:00 GMT", close=True)
    head, _, body = written.partition(b"\r\n\r\n")
    assert body == b'{"error":"method not allowed"}'
    assert head.split(b"\r\n") == [
        b"HTTP/1.1 405 Method Not Allowed",
        b"Content-Type: application/json",
        b"Content-Length: 30",
        b"Date: Mon, 01 Jan 2024 00:00:00 GMT",
        b"Allow: GET, HEAD",
        b"Connection: close",
    ]
    kept = response_bytes(Response(200, b"{}"), date="d", close=False, head_only=True)
    assert kept == (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nDate: d\r\n\r\n"
    )


@pytest.mark.parametrize(
    ("open_files", "cap"),
    [(256, 96), (1024, 480), (4096, MAX_CONNECTIONS), (-1, MAX_CONNECTIONS), (64, MIN_CONNECTIONS)],
)
def test_the_listener_keeps_half_of_the_open_files_left_for_the_rest(
    open_files: int, cap: int
) -> None:
    assert connection_cap(open_files) == cap


def test_a_repeated_line_is_written_once_an_interval_with_the_count_since_the_last() -> None:
    throttle = Throttle(interval=1.0)
    assert [throttle.due(at) for at in (10.0, 10.2, 10.9, 11.0, 11.5, 13.0)] == [1, 0, 0, 3, 0, 2]
