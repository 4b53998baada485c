"""Finding an execution's secrets and hiding them in every form they can travel in."""

from __future__ import annotations

import base64

import pytest

from mesg_pusher._secrets import basic_credentials, free_of, scrub, secrets_of

APP_SECRET = "7ad3773142a6692b25b8"


def test_the_app_secret_and_the_proxy_password_in_every_form_it_travels_in() -> None:
    found = secrets_of({"secret": APP_SECRET, "proxy": "http://al%20ice:pa%40ss-w0rd@proxy:3128"})
    assert found == [
        APP_SECRET,
        "pa%40ss-w0rd",
        "pa@ss-w0rd",
        "al ice:pa@ss-w0rd",
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
    with pytest.raises(ValueError, match=r"^data\.k: holds the app secret or the proxy password"):
        free_of(secrets, {"data": {"k": "YWxpY2U6aHVudGVyMg=="}})
