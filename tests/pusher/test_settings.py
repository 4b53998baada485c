"""Connection settings and credentials: defaults, host resolution and the rules they enforce."""

from __future__ import annotations

import pytest

from mesg_pusher import InputError
from mesg_pusher.pusher import DEFAULT_TIMEOUT_MS, App, Connection, Proxy


def test_defaults_are_the_legacy_host_over_http_on_port_80() -> None:
    connection = Connection.create()
    assert (connection.scheme, connection.host, connection.port) == (
        "http",
        "api.pusherapp.com",
        80,
    )
    assert connection.base_url == "http://api.pusherapp.com:80"
    assert connection.timeout_ms == DEFAULT_TIMEOUT_MS
    assert connection.keep_alive is False
    assert connection.proxy is None


def test_encrypted_means_https_on_port_443() -> None:
    connection = Connection.create(tls=True)
    assert (connection.scheme, connection.port) == ("https", 443)


def test_cluster_gives_its_api_host() -> None:
    assert Connection.create(cluster="eu").host == "api-eu.pusher.com"


def test_host_wins_over_cluster() -> None:
    assert Connection.create(host="example.com", cluster="eu").host == "example.com"


def test_empty_strings_count_as_not_given() -> None:
    connection = Connection.create(host="", cluster="", proxy="")
    assert connection.host == "api.pusherapp.com"
    assert connection.proxy is None


@pytest.mark.parametrize("port", [1, 8080, 65535, 8080.0])
def test_port_is_taken_as_given(port: float) -> None:
    assert Connection.create(port=port, tls=True).port == int(port)


@pytest.mark.parametrize("port", [0, -1, 65536, 80.5, float("nan"), float("inf")])
def test_port_out_of_range_or_fractional_is_refused(port: float) -> None:
    with pytest.raises(InputError) as caught:
        Connection.create(port=port)
    assert caught.value.input == "port"
    assert "whole number from 1 to 65535" in caught.value.rule


@pytest.mark.parametrize("timeout", [0, -5, float("nan"), 10**12])
def test_timeout_must_be_positive_and_bounded(timeout: float) -> None:
    with pytest.raises(InputError) as caught:
        Connection.create(timeout_ms=timeout)
    assert caught.value.input == "timeout_ms"


@pytest.mark.parametrize(
    "host", ["http://example.com", "example.com:8080", "example.com/path", "a b", "-bad.com", "[::"]
)
def test_host_must_be_a_bare_host_name(host: str) -> None:
    with pytest.raises(InputError) as caught:
        Connection.create(host=host)
    assert caught.value.input == "host"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "api-eu.pusher.com", "svc_1"])
def test_host_accepts_names_and_addresses(host: str) -> None:
    assert Connection.create(host=host).host == host


@pytest.mark.parametrize("cluster", ["eu/../x", "eu.example.com", "a b"])
def test_cluster_is_a_plain_name(cluster: str) -> None:
    with pytest.raises(InputError) as caught:
        Connection.create(cluster=cluster)
    assert caught.value.input == "cluster"


def test_proxy_url_keeps_credentials_out_of_its_printable_forms() -> None:
    proxy = Proxy.from_url("http://alice:p%40ss-w0rd@proxy.local:3128")
    assert proxy.url == "http://proxy.local:3128"
    assert proxy.username == "alice"
    assert proxy.password == "p@ss-w0rd"
    assert proxy.redacted == "http://alice:***@proxy.local:3128"
    assert "p@ss" not in repr(proxy)
    assert proxy.authorization == "Basic YWxpY2U6cEBzcy13MHJk"


@pytest.mark.parametrize(
    "url",
    [
        "proxy.local:3128",
        "ftp://proxy.local",
        "http://",
        "http://proxy.local:99999",
        "http://proxy.local:0",
        "http://proxy.local/path",
        "http://user:secret-pw",
        "socks5://proxy:1080",
    ],
)
def test_malformed_proxy_urls_are_refused_without_echoing_them(url: str) -> None:
    with pytest.raises(InputError) as caught:
        Proxy.from_url(url)
    assert caught.value.input == "proxy"
    assert "secret-pw" not in str(caught.value)


def test_app_credentials_are_checked_and_the_secret_is_not_in_repr() -> None:
    app = App("42", "key", "the-secret")
    assert "the-secret" not in repr(app)
    assert app.events_path == "/apps/42/events"
    with pytest.raises(InputError, match="app_id"):
        App("42/../1", "key", "s")
    with pytest.raises(InputError, match="key"):
        App("42", "a&b", "s")
    with pytest.raises(InputError, match="secret"):
        App("42", "key", "")


@pytest.mark.parametrize("host", ["[fe80::1%eth0]", "[::1%1]", "[fe80::a%en0.5_x~-]"])
def test_an_ipv6_zone_id_of_safe_characters_is_accepted(host: str) -> None:
    assert Connection.create(host=host).host == host


@pytest.mark.parametrize(
    "zone",
    ["", "\r\nX-Injected: 1", "a b", "a@evil.example", "a?x", "a:1", "a/b", "a]x", "a%b", "a" * 16],
)
def test_an_ipv6_zone_id_is_a_short_run_of_safe_characters(zone: str) -> None:
    with pytest.raises(InputError) as caught:
        Connection.create(host=f"[::1%{zone}]")
    assert caught.value.input == "host"
    assert "zone id" in caught.value.rule


def test_a_zone_id_cannot_smuggle_another_host() -> None:
    with pytest.raises(InputError) as caught:
        Connection.create(host="[::1%a]@evil.example:8080?]", proxy="http://proxy.local:3128")
    assert caught.value.input == "host"


@pytest.mark.parametrize(
    "url", ["http://[::1%25a b]:3128", "http://[::1%25a@b]:3128", "http://[::1%]:3128"]
)
def test_a_proxy_zone_id_follows_the_same_rule(url: str) -> None:
    with pytest.raises(InputError) as caught:
        Proxy.from_url(url)
    assert caught.value.input == "proxy"


def test_a_proxy_may_have_a_zone_id() -> None:
    assert Proxy.from_url("http://[fe80::1%25eth0]:3128").url == "http://[fe80::1%25eth0]:3128"


def test_secrets_longer_than_the_scrubbing_covers_are_refused() -> None:
    assert App("1", "key", "s" * 4096).secret == "s" * 4096
    with pytest.raises(InputError, match=r"^secret: an app secret is at most 4096 characters$"):
        App("1", "key", "s" * 4097)
    with pytest.raises(InputError) as caught:
        Proxy.from_url(f"http://alice:{'p' * 4097}@proxy:3128")
    assert str(caught.value) == "proxy: a proxy user name or password is at most 4096 characters"
