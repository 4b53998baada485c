"""The pure HTTP/1.1 framing: request bytes, and answers fed whole or a byte at a time."""

from __future__ import annotations

import pytest

from mesg_pusher.pusher.transport._http11 import (
    ProtocolError,
    ResponseParser,
    header_lines,
    request_head,
)


def parse(data: bytes, *, eof: bool = False, step: int | None = None) -> ResponseParser:
    parser = ResponseParser()
    pieces = [data] if step is None else [data[i : i + step] for i in range(0, len(data), step)]
    for piece in pieces:
        if parser.feed(piece):
            break
    if eof and not parser.done:
        parser.feed_eof()
    return parser


def test_request_head_is_exact() -> None:
    lines = header_lines("127.0.0.1:8080", (("User-Agent", "x/1"), ("Content-Type", "a/b")))
    assert lines == b"Host: 127.0.0.1:8080\r\nUser-Agent: x/1\r\nContent-Type: a/b\r\n"
    assert request_head("POST", "/apps/1/events?a=1", lines, 12) == (
        b"POST /apps/1/events?a=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: x/1\r\n"
        b"Content-Type: a/b\r\nContent-Length: 12\r\n\r\n"
    )


NGINX_ANSWER = (
    b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: application/json\r\n"
    b"Content-Length: 2\r\nConnection: keep-alive\r\n\r\n{}"
)


@pytest.mark.parametrize("step", [None, 1, 3])
def test_content_length_answer(step: int | None) -> None:
    parser = parse(NGINX_ANSWER, step=step)
    assert (parser.done, parser.status, parser.body, parser.reusable) == (True, 200, b"{}", True)


@pytest.mark.parametrize("step", [None, 1, 5])
def test_chunked_answer_with_extension_and_trailer(step: int | None) -> None:
    answer = (
        b"HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;name=value\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: 1\r\n\r\n"
    )
    parser = parse(answer, step=step)
    assert (parser.done, parser.status, parser.body, parser.reusable) == (
        True,
        400,
        b"hello, world!!!",
        True,
    )


def test_answer_read_to_the_end_of_the_connection() -> None:
    parser = parse(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nsome text", eof=True)
    assert (parser.done, parser.body, parser.reusable) == (True, b"some text", False)


def test_connection_close_and_http_1_0_are_not_reused() -> None:
    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    assert parse(closing).reusable is False
    old = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}"
    assert (parse(old).done, parse(old).reusable) == (True, False)
    old_keep = b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\n{}"
    assert parse(old_keep).reusable is True


def test_interim_answers_are_skipped() -> None:
    parser = parse(b"HTTP/1.1 100 Continue\r\n\r\n" + NGINX_ANSWER, step=7)
    assert (parser.status, parser.body) == (200, b"{}")


def test_no_body_statuses_end_at_the_head() -> None:
    parser = parse(b"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n")
    assert (parser.done, parser.body, parser.reusable) == (True, b"", True)


def test_unasked_bytes_after_the_answer_spoil_the_connection() -> None:
    assert parse(NGINX_ANSWER + b"HTTP/1.1 200 OK\r\n").reusable is False


def test_cut_short_and_never_started() -> None:
    cut = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}")
    assert (cut.feed_eof(), cut.started, cut.done) == (False, True, False)
    empty = ResponseParser()
    assert (empty.feed_eof(), empty.started) == (False, False)


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/2 200 OK\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"SSH-2.0-OpenSSH\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n folded: header\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x1\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY",
    ],
)
def test_invalid_answers_are_refused(answer: bytes) -> None:
    with pytest.raises(ProtocolError):
        parse(answer)


def test_endless_headers_are_refused() -> None:
    parser = ResponseParser()
    parser.feed(b"HTTP/1.1 200 OK\r\n")
    filler = b"X-Filler: " + b"a" * 100 + b"\r\n"
    for _ in range(500):  # under the limit: still waiting for the end of the head
        parser.feed(filler)
    with pytest.raises(ProtocolError, match="too long"):
        parser.feed(filler * 100)


def test_repeated_content_length_with_one_value_is_accepted() -> None:
    parser = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\n{}")
    assert parser.body == b"{}"
