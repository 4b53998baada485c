"""Who may use the debug console: the server's own names in Host, its own page in Origin."""

from __future__ import annotations

import pytest

from mesg_pusher.local_server._origins import console_refusal, host_name, own_names

own = own_names("127.0.0.1", "192.0.2.7", extra=("devbox.lan",))


@pytest.mark.parametrize(
    ("host", "name"),
    [
        ("localhost:6001", "localhost"),
        ("LocalHost", "localhost"),
        ("[::1]:6001", "::1"),
        ("[::1]", "::1"),
        ("127.0.0.1:80", "127.0.0.1"),
        ("::1", None),
        ("[::1]x", None),
        ("[::1:6001", None),
        ("localhost:port", None),
        ("localhost:", None),
        (":6001", None),
        ("localhost:\u0666", None),
    ],
)
def test_host_name(host: str, name: str | None) -> None:
    assert host_name(host) == name


def test_own_names_are_loopback_the_addresses_and_the_given_names() -> None:
    assert own == {"localhost", "127.0.0.1", "::1", "192.0.2.7", "devbox.lan"}
    assert own_names("0.0.0.0", "::", None, "") == {"localhost", "127.0.0.1", "::1"}


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("127.0.0.1:6001", None),
        ("127.0.0.1:6001", "http://127.0.0.1:6001"),
        ("localhost:16001", "http://localhost:16001"),  # a published container port
        ("[::1]:6001", "http://[::1]:6001"),
        ("192.0.2.7:6001", "http://192.0.2.7:6001"),
        ("DevBox.lan:6001", "http://devbox.lan:6001"),
    ],
)
def test_the_consoles_own_page_is_served(host: str, origin: str | None) -> None:
    assert console_refusal(host, origin, own) is None


@pytest.mark.parametrize(
    ("host", "origin", "words"),
    [
        (None, None, "needs a Host header"),
        ("", None, "needs a Host header"),
        ("evil.example:6001", None, "not 'evil.example:6001'"),  # DNS rebinding
        ("evil.example:6001", "http://evil.example:6001", "own names only"),
        ("localhost.evil.example", None, "own names only"),
        ("127.0.0.1:6001", "http://evil.example", "not a page of 'http://evil.example'"),
        ("127.0.0.1:6001", "null", "own page only"),  # a sandboxed frame, a file:// page
        ("127.0.0.1:6001", "http://127.0.0.1:6002", "own page only"),  # another local server
        ("127.0.0.1:6001", "https://127.0.0.1:6001", "own page only"),
        ("127.0.0.1:6001", "http://localhost:6001", "own page only"),
    ],
)
def test_other_pages_and_foreign_names_are_refused(
    host: str | None, origin: str | None, words: str
) -> None:
    refusal = console_refusal(host, origin, own)
    assert refusal is not None
    assert words in refusal


def test_a_refusal_quotes_a_long_value_cut_and_on_one_line() -> None:
    refusal = console_refusal("a" * 5000 + "\r\nX: y", None, own)
    assert refusal is not None
    assert len(refusal) < 300
    assert "\n" not in refusal
