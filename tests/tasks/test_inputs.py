"""The app and the connection a task's inputs describe, built once per distinct inputs: the same
inputs give the very same values, and a refused input is refused every time, whatever was
built before it."""

from __future__ import annotations

from typing import Any

import pytest

from mesg_pusher import InputError
from mesg_pusher.tasks import _inputs

BASE: dict[str, Any] = {
    "appId": "1",
    "key": "app-key",
    "secret": "app-secret-0123456789",
    "host": "127.0.0.1",
    "port": 8080,
    "keepAlive": True,
    "timeout": 5000,
}


def test_the_same_inputs_give_the_same_app_and_connection() -> None:
    assert _inputs.app(dict(BASE)) is _inputs.app(dict(BASE))
    assert _inputs.connection(dict(BASE)) is _inputs.connection(dict(BASE))
    other = _inputs.connection(BASE | {"port": 8081})
    assert other.port == 8081
    assert other is not _inputs.connection(dict(BASE))


@pytest.mark.parametrize(
    ("name", "value", "rule"),
    [
        ("port", True, "a port is a number"),  # True == 1, but a boolean is no port
        ("port", 1.5, "a whole number"),
        ("port", [8080], "a port is a number"),  # no key of a cache: checked all the same
        ("timeout", 0, "above 0"),
        ("host", "bad host", "a host name"),
    ],
)
def test_a_refused_value_is_refused_each_time_after_a_good_one(
    name: str, value: Any, rule: str
) -> None:
    good = BASE | {"port": 1, "timeout": 1}
    _inputs.connection(good)
    for _ in range(2):
        with pytest.raises(InputError) as raised:
            _inputs.connection(good | {name: value})
        # The core names the setting (timeout_ms); the runner's answer names the input.
        assert _inputs.in_input_words(raised.value).input == name
        assert rule in str(raised.value)


def test_an_app_refused_is_refused_each_time() -> None:
    _inputs.app(dict(BASE))
    for _ in range(2):
        with pytest.raises(InputError) as raised:
            _inputs.app(BASE | {"secret": ""})
        assert raised.value.input == "secret"


def test_a_port_of_80_and_of_80_point_0_are_told_apart_but_equal_in_effect() -> None:
    whole = _inputs.connection(BASE | {"port": 80})
    as_float = _inputs.connection(BASE | {"port": 80.0})
    assert (whole.port, as_float.port) == (80, 80)
    assert isinstance(as_float.port, int)


def test_a_missing_input_names_the_input_and_the_variables() -> None:
    error = _inputs.missing_input("secret")
    assert error.input == "secret"
    assert str(error) == (
        "secret: is required: give the input secret, or set PUSHER_APP_SECRET or PUSHER_URL "
        "in the service's environment"
    )
    assert "PUSHER_URL" not in str(_inputs.missing_input("encryptionMasterKey"))
    master_key = _inputs.missing_input("encryptionMasterKey")
    assert "PUSHER_ENCRYPTION_MASTER_KEY_BASE64" in str(master_key)


def test_require_refuses_the_first_missing_input() -> None:
    _inputs.require_inputs({"appId": "1", "key": "k", "secret": "s"}, ("appId", "key", "secret"))
    with pytest.raises(InputError) as caught:
        _inputs.require_inputs({"appId": "1", "key": ""}, ("appId", "key", "secret"))
    assert caught.value.input == "key"
    assert "PUSHER_APP_KEY" in caught.value.rule


@pytest.mark.parametrize(
    ("core", "task"),
    [
        (InputError("app_id", "an app id must not be empty"), "appId: an app id must not be empty"),
        (InputError("timeout_ms", "above 0"), "timeout: above 0"),
        (InputError("user_id", "a user id ..."), "userId: a user id ..."),
        (
            InputError("channels[0]", "... encryption master key: give encryption_master_key"),
            "channels[0]: ... encryption master key: give encryptionMasterKey",
        ),
        (InputError("batch[3].name", "is required"), "batch[3].name: is required"),
        (InputError("PUSHER_PORT", "a port is ..."), "PUSHER_PORT: a port is ..."),
    ],
)
def test_the_cores_words_become_the_inputs_names(core: InputError, task: str) -> None:
    assert str(_inputs.in_input_words(core)) == task
