"""The pure parts of proxies and TLS: the bytes a proxy is sent, the words of its refusal (never
its credentials), and the TLS contexts the pool accepts."""

from __future__ import annotations

import ssl

import pytest

from mesg_pusher.pusher import Connection, HttpRequest, Proxy
from mesg_pusher.pusher.transport import _proxy, _tls
from mesg_pusher.pusher.transport._http11 import ResponseParser

REQUEST = HttpRequest("POST", "/apps/1/events", "auth_key=k&auth_signature=s", b"{}")


def test_a_plain_request_through_a_proxy_names_the_whole_url() -> None:
    connection = Connection.create(host="api-eu.pusher.com", proxy="http://proxy:3128")
    assert _proxy.absolute_target(connection, REQUEST) == (
        "http://api-eu.pusher.com:80/apps/1/events?auth_key=k&auth_signature=s"
    )


def test_connect_carries_the_credentials_once() -> None:
    proxy = Proxy.from_url("http://al%40ce:p%3Ass@proxy:3128")
    connection = Connection.create(host="api-eu.pusher.com", tls=True, proxy=proxy)
    assert _proxy.connect_request(connection, proxy) == (
        b"CONNECT api-eu.pusher.com:443 HTTP/1.1\r\nHost: api-eu.pusher.com:443\r\n"
        b"Proxy-Authorization: Basic YWxAY2U6cDpzcw==\r\n\r\n"
    )
    bare = Proxy.from_url("http://proxy:3128")
    assert b"Proxy-Authorization" not in _proxy.connect_request(connection, bare)
    assert _proxy.credentials(bare) == ()


def test_a_refused_tunnel_names_the_proxy_without_its_password() -> None:
    proxy = Proxy.from_url("http://alice:pr0xy-pa55@127.0.0.1:3128")
    assert _proxy.refusal(proxy, 407) == (
        "the proxy http://alice:***@127.0.0.1:3128 answered 407 Proxy Authentication Required"
    )
    assert _proxy.refusal(proxy, 599) == "the proxy http://alice:***@127.0.0.1:3128 answered 599"


def test_a_proxys_address_and_its_default_ports() -> None:
    assert (Proxy.from_url("http://[::1]:8080").host, Proxy.from_url("http://[::1]:8080").port) == (
        "[::1]",
        8080,
    )
    assert Proxy.from_url("http://proxy").port == 80
    assert Proxy.from_url("https://proxy").port == 443
    assert Proxy.from_url("https://proxy").scheme == "https"


def test_the_answer_to_connect_ends_at_its_head() -> None:
    parser = ResponseParser(tunnel=True)
    assert parser.feed(b"HTTP/1.1 200 Connection established\r\n\r\n")
    assert (parser.status, parser.reusable) == (200, True)
    spoiled = ResponseParser(tunnel=True)
    assert spoiled.feed(b"HTTP/1.1 200 OK\r\n\r\n\x16\x03\x01")  # bytes before our hello
    assert spoiled.reusable is False
    refused = ResponseParser(tunnel=True)
    head = b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 4\r\n\r\n"
    assert not refused.feed(head)
    assert refused.feed(b"nope")
    assert (refused.status, refused.body) == (407, b"nope")


def test_only_contexts_that_verify_are_taken() -> None:
    default = _tls.verifying(None)
    assert (default.verify_mode, default.check_hostname) == (ssl.CERT_REQUIRED, True)
    lax = ssl.create_default_context()
    lax.check_hostname = False
    with pytest.raises(ValueError, match="host names"):
        _tls.verifying(lax)
    assert _tls.server_name("[::1]") == "::1"
    assert _tls.server_name("api-eu.pusher.com") == "api-eu.pusher.com"
