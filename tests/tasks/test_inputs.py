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
        assert raised.value.input == name
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
