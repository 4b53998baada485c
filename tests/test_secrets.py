"""Finding an execution's secrets and hiding them in every form they can travel in."""

from __future__ import annotations

import base64
import json

import pytest

from mesg_pusher import InputError
from mesg_pusher._secrets import (
    SCANNED_BYTES,
    basic_credentials,
    scrub,
    scrub_body,
    shown_in,
)
from mesg_pusher.tasks._secret_inputs import MASTER_KEY_INPUT, SECRET_HOLDERS, free_of, secrets_of
from tests.support.secret_oracle import ENCODINGS, encoded, exposure

APP_SECRET = "7ad3773142a6692b25b8"


def test_the_app_secret_and_the_proxy_password_in_every_form_it_travels_in() -> None:
    found = secrets_of({"secret": APP_SECRET, "proxy": "http://al%20ice:pa%40ss-w0rd@proxy:3128"})
    assert found == [
        APP_SECRET,
        "pa%40ss-w0rd",
        "pa@ss-w0rd",
        # Not the pair itself: the password in it is found, and a user name is no secret.
        base64.b64encode(b"al ice:pa@ss-w0rd").decode(),
    ]


def test_a_short_password_is_still_hidden_in_its_header_form() -> None:
    found = secrets_of({"proxy": "http://alice:hunter2@proxy:3128"})
    assert found == ["alice:hunter2", "YWxpY2U6aHVudGVyMg=="]


@pytest.mark.parametrize(
    "proxy", ["http://proxy:3128", "http://alice@proxy:3128", "http://[::1", 3128, None]
)
def test_no_password_no_proxy_secret(proxy: object) -> None:
    assert secrets_of({"proxy": proxy}) == []


def test_basic_credentials_are_base64_of_the_pair() -> None:
    assert basic_credentials("Aladdin:open sesame") == "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="


def test_the_header_form_is_scrubbed() -> None:
    secrets = secrets_of({"proxy": "http://alice:hunter2@proxy:3128"})
    text = scrub("you sent Proxy-Authorization: Basic YWxpY2U6aHVudGVyMg==", secrets)
    assert text == "you sent Proxy-Authorization: Basic ***"


def test_inputs_may_not_hold_the_header_form() -> None:
    secrets = secrets_of({"proxy": "http://alice:hunter2@proxy:3128"})
    with pytest.raises(ValueError, match=r"^data\.k: holds the app secret, the proxy password"):
        free_of(secrets, {"data": {"k": "YWxpY2U6aHVudGVyMg=="}})


MASTER_KEY = base64.b64encode(bytes(range(200, 232))).decode()


def test_the_encryption_master_key_is_a_secret_in_both_base64_alphabets() -> None:
    assert "+" in MASTER_KEY or "/" in MASTER_KEY
    url_safe = MASTER_KEY.replace("+", "-").replace("/", "_")
    assert secrets_of({MASTER_KEY_INPUT: MASTER_KEY}) == [MASTER_KEY, url_safe]
    assert secrets_of({MASTER_KEY_INPUT: "MDEyMzQ1Njc="}) == ["MDEyMzQ1Njc="]
    assert secrets_of({MASTER_KEY_INPUT: 32}) == []
    assert secrets_of({MASTER_KEY_INPUT: ""}) == []


def test_the_master_key_input_holds_it_and_no_other_input_may() -> None:
    secrets = secrets_of({MASTER_KEY_INPUT: MASTER_KEY})
    assert MASTER_KEY_INPUT in SECRET_HOLDERS
    free_of(secrets, {MASTER_KEY_INPUT: MASTER_KEY, "channel": "private-encrypted-x"})
    with pytest.raises(ValueError, match=r"^channel_data\.user_info\.k: holds the app secret"):
        free_of(secrets, {"channel_data": {"user_info": {"k": f"key {MASTER_KEY}"}}})
    url_safe = MASTER_KEY.replace("+", "-").replace("/", "_")
    with pytest.raises(ValueError, match=r"^data: holds"):
        free_of(secrets, {"data": url_safe})


@pytest.mark.parametrize("how", ENCODINGS)
def test_the_master_key_is_hidden_in_every_encoding(how: str) -> None:
    secrets = secrets_of({MASTER_KEY_INPUT: MASTER_KEY})
    hidden = scrub(f"bad key {encoded(MASTER_KEY, how)} here", secrets)
    assert exposure(hidden, MASTER_KEY) is None, hidden


SECRET = "s3cr3t-7ad3773142a6692b25b8"


@pytest.mark.parametrize("how", ENCODINGS)
def test_a_secret_is_hidden_in_every_encoding(how: str) -> None:
    text = f"no app for {encoded(SECRET, how)} here"
    hidden = scrub(text, [SECRET])
    assert hidden == "no app for *** here"


@pytest.mark.parametrize("how", ENCODINGS)
def test_every_long_run_of_it_is_hidden_too(how: str) -> None:
    for start, end in [(0, 8), (0, 19), (5, 13), (19, 27), (3, 25)]:
        run = SECRET[start:end]
        hidden = scrub(f"cut: {encoded(run, how)}", [SECRET])
        assert exposure(hidden, SECRET) is None, (run, hidden)
        assert "***" in hidden


def test_a_run_shorter_than_eight_characters_is_ordinary_text() -> None:
    assert scrub(f"a {SECRET[:7]} b {SECRET[-7:]}", [SECRET]) == f"a {SECRET[:7]} b {SECRET[-7:]}"


@pytest.mark.parametrize(
    "text",
    [
        "Pusher answered 401 Unauthorized: Invalid signature: Expected HMAC SHA256 hex digest",
        "Unauthorized The administrator of this proxy has not configured it",
        "%41%42 &amp; \\u0041 +++ QUJDREVGR0hJSktM",
        "",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert scrub(text, [SECRET]) == text


def test_escapes_escaped_again_are_read_twice() -> None:
    twice = "".join(f"&amp;#{ord(c)};" for c in SECRET)
    assert scrub(f"[{twice}]", [SECRET]) == "[***]"
    url_of_json = "".join(f"%5Cu{ord(c):04x}" for c in SECRET)
    assert scrub(f"[{url_of_json}]", [SECRET]) == "[***]"


def test_a_secret_outside_the_basic_plane_as_json_writes_it() -> None:
    secret = "k\U0001f511y-9f0a3c77e1"
    written = json.dumps({"error": secret})  # ensure_ascii: a surrogate pair
    assert "\\ud83d\\udd11" in written
    assert scrub(written, [secret]) == '{"error": "***"}'


def test_a_secret_with_spaces_is_found_reflowed_or_form_encoded() -> None:
    secret = "correct horse\tbattery staple"
    assert scrub("correct horse battery staple!", [secret]) == "***!"
    assert scrub("q=correct+horse+battery+staple", [secret]) == "q=***"
    assert scrub("correct  horse\n battery", [secret]) == "***"


def test_base64_from_any_starting_byte() -> None:
    for prefix in (b"", b"x", b"xy", b"xyz"):
        text = base64.b64encode(prefix + SECRET.encode()).decode()
        for cut in (0, 1, 2, 3):
            assert exposure(scrub(text[cut:], [SECRET]), SECRET) is None


def test_short_values_given_directly_are_still_replaced_as_written() -> None:
    assert scrub("user is bob", ["bob"]) == "user is ***"


def test_the_body_is_scrubbed_before_decoding_and_keeps_its_other_bytes() -> None:
    body = b"\xff\xfe " + "".join(f"&#{ord(c)};" for c in SECRET).encode() + b" \xc3("
    assert scrub_body(body, [SECRET]) == b"\xff\xfe *** \xc3("


def test_past_the_scanned_part_the_secret_as_written_is_still_replaced() -> None:
    body = b"x" * SCANNED_BYTES + SECRET.encode() + b" " + encoded(SECRET, "base64").encode()
    scrubbed = scrub_body(body, [SECRET])
    assert scrubbed[SCANNED_BYTES:] == b"*** " + encoded(SECRET, "base64").encode()


def test_no_secrets_nothing_changes() -> None:
    assert scrub("anything &#115;", []) == "anything &#115;"
    assert scrub_body(b"\xff", []) == b"\xff"


def test_python_escapes_as_messages_quote_inputs() -> None:
    quoted = SECRET.encode("unicode_escape").decode()  # as plain: nothing to escape
    assert scrub(quoted, [SECRET]) == "***"
    wide = "".join(f"\\U{ord(c):08x}" for c in SECRET)
    octal = "".join(f"\\{ord(c):o}" for c in SECRET)
    for text in (wide, octal, "".join(f"\\x{ord(c):02x}" for c in SECRET)):
        assert scrub(text, [SECRET]) == "***", text


def test_an_ampersand_that_names_nothing_does_not_hide_what_follows() -> None:
    text = "&a" + "".join(f"\\u{ord(c):04x}" for c in SECRET)
    assert scrub(text, [SECRET]) == "&a***"


def test_escapes_of_one_kind_read_while_another_kind_is_shown() -> None:
    secret = "x41bcdefghij-2718"
    # Read as JSON, the Python escape is shown as written and the others are letters: x41bcdefgh.
    text = "\\x41" + "".join(f"\\u{ord(c):04x}" for c in "bcdefgh")
    assert exposure(text, secret) is not None
    assert exposure(scrub(text, [secret]), secret) is None


def test_a_parsed_value_shows_a_secret_one_escape_deeper_than_its_text() -> None:
    # The value a reader gets from {"k": "\\\\u0073..."} holds "\\u0073...", read once more.
    escaped = "".join(f"\\u{ord(c):04x}" for c in SECRET)
    assert shown_in({"channels": {f"x{escaped}": {}}}, [SECRET])
    assert shown_in(["ok", {"k": [SECRET[3:12]]}], [SECRET])
    assert not shown_in({"channels": {"presence-room": {"user_count": 1}}}, [SECRET])
    assert not shown_in({"k": SECRET}, [])
    assert not shown_in({"k": SECRET[:7], SECRET[7:14]: 1}, [SECRET])  # no run of 8 in one


@pytest.mark.parametrize(
    ("inputs", "where"),
    [
        # Of several inputs holding one, the one named is the last (the walk takes them from
        # the end): the same every time.
        ({"a": "s3cret-value-123", "b": {"c": [1, {"d": "s3cret-value-123"}]}}, "b.c[1].d"),
        # Under a key that is a secret, the value is named by its container.
        ({"data": {"s3cret-value-123": {"x": "s3cret-value-123"}}}, "data.x"),
        ({"data": {"a": {"s3cret-value-123k": "v"}}}, "data.a (a key)"),
        ({"x": [{"y": {"z": [0, 1, "s3cret-value-123"]}}]}, "x[0].y.z[2]"),
    ],
)
def test_a_refusal_names_where_the_secret_sits(inputs: dict[str, object], where: str) -> None:
    with pytest.raises(InputError) as raised:
        free_of(["s3cret-value-123"], inputs)
    assert raised.value.input == where


def test_a_secret_in_a_tuple_is_found_and_named() -> None:
    with pytest.raises(InputError) as raised:
        free_of([SECRET], {"data": {"a": ("ok", "x" + SECRET)}})
    assert raised.value.input == "data.a[1]"


def test_inputs_under_keys_that_are_not_text_are_named_too() -> None:
    with pytest.raises(InputError) as raised:
        free_of([SECRET], {1: "x" + SECRET})  # type: ignore[dict-item]
    assert raised.value.input == "1"


def test_a_run_only_the_whole_input_shows_refuses_that_input() -> None:
    # A password with white space, reflowed across two strings: no one string holds a run.
    password = "abcd efgh ijkl"
    with pytest.raises(InputError) as raised:
        free_of([password], {"data": ["efghzzzz", "zzzzabcd"], "name": "ok"})
    assert raised.value.input == "data"


@pytest.mark.parametrize("escape", ["%{:02X}", "%25{:02X}"])
def test_base64_is_looked_for_in_the_same_views_whatever_else_the_text_holds(
    escape: str,
) -> None:
    # base64 of the secret with some characters URL-encoded once or twice. Base64 is looked
    # for as written and decoded once: the noise, which makes every kind of escape decode,
    # once changed which views those were.
    plain = base64.b64encode(SECRET.encode()).decode()
    text = "".join(escape.format(ord(c)) if i % 6 == 5 else c for i, c in enumerate(plain))
    noise = "a\\n b &amp; c \\x41 d %41 \\u0041 "
    alone = scrub(text, [SECRET]) != text
    assert alone == (escape == "%{:02X}")
    assert (scrub(noise + text, [SECRET]) != noise + text) == alone


def test_a_proxy_user_name_is_not_a_secret() -> None:
    secrets = secrets_of({"proxy": "http://proxyaccount:pw12345678@proxy.local:3128"})
    free_of(secrets, {"data": "hello proxyaccount"})
    with pytest.raises(InputError, match=r"^data: holds"):
        free_of(secrets, {"data": "pw12345678"})
    # A password too short to look for alone is looked for with its user name.
    short = secrets_of({"proxy": "http://proxyaccount:pw1@proxy.local:3128"})
    assert "proxyaccount:pw1" in short


#: A proxy service's API key, given as the user name with no password.
PROXY_API_KEY = "zk_4f1c9e2a7b3d8e60"


def test_a_proxy_credential_in_the_user_name_position_is_a_secret() -> None:
    proxy = f"http://{PROXY_API_KEY}:@proxy.example:8011"
    found = secrets_of({"proxy": proxy})
    assert PROXY_API_KEY in found
    assert base64.b64encode(f"{PROXY_API_KEY}:".encode()).decode() in found  # its header form
    assert (
        scrub(f"the proxy {proxy} refused", found)
        == "the proxy http://***:@proxy.example:8011 refused"
    )
    with pytest.raises(InputError, match=r"^data: holds"):
        free_of(found, {"data": f"key {PROXY_API_KEY}"})


@pytest.mark.parametrize(
    "written",
    [
        SECRET.encode().hex(),
        SECRET.encode().hex().upper(),
        SECRET[3:14].encode().hex(),  # a run of it
    ],
    ids=["lower", "upper", "run"],
)
def test_a_secret_written_in_hex_is_found_inside_another_input(written: str) -> None:
    with pytest.raises(InputError, match=r"^data\.k: holds"):
        free_of([SECRET], {"data": {"k": f"x {written} y"}})
    assert scrub(f"x {written} y", [SECRET]) == "x *** y"
    assert shown_in({"k": written}, [SECRET])
