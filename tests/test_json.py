"""JSON the way JavaScript writes and reads it: numbers, refusals, lone surrogates."""

from __future__ import annotations

import pytest

from mesg_pusher import InputError
from mesg_pusher._json import dumps, js_number, loads
from mesg_pusher.pusher import encode_data

# What Node.js 20 prints for String(x) of each double (checked with node -e).
JS_NUMBERS = [
    (1.0, "1"),
    (-0.0, "0"),
    (0.5, "0.5"),
    (0.1, "0.1"),
    (4.35, "4.35"),
    (100.0, "100"),
    (-123.0, "-123"),
    (123.456, "123.456"),
    (1e-6, "0.000001"),
    (1.234e-6, "0.000001234"),
    (1e-7, "1e-7"),
    (-1e-7, "-1e-7"),
    (1.2345e-5, "0.000012345"),
    (1e16, "10000000000000000"),
    (1e20, "100000000000000000000"),
    (1e21, "1e+21"),
    (123456789012345680000.0, "123456789012345680000"),
    (2.0**53, "9007199254740992"),
    (2.0**53 + 2, "9007199254740994"),
    (1.5e300, "1.5e+300"),
    (5e-324, "5e-324"),
    (1.7976931348623157e308, "1.7976931348623157e+308"),
]


@pytest.mark.parametrize(("value", "expected"), JS_NUMBERS)
def test_numbers_are_written_as_javascript_writes_them(value: float, expected: str) -> None:
    assert js_number(value) == expected
    assert dumps([value]) == f"[{expected}]"


def test_integers_stay_exact_and_data_without_floats_is_compact() -> None:
    assert dumps({"n": 10**30, "s": "é", "l": [True, None]}) == (
        '{"n":1000000000000000000000000000000,"s":"é","l":[true,null]}'
    )
    assert dumps({"x": 1.0, "nested": [{"y": 2.5}], "t": "\ud800"}) == (
        '{"x":1,"nested":[{"y":2.5}],"t":"\\ud800"}'
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"x": 1e400}', "the number 1e400 is too large for a JSON number"),
        ('{"x": -1e400}', "the number -1e400 is too large for a JSON number"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("NaN", "NaN is not valid JSON"),
        ("[Infinity]", "Infinity is not valid JSON"),
    ],
)
def test_what_json_cannot_carry_is_refused_as_a_value_error(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        loads(text)


def test_values_that_cannot_be_written_are_input_errors() -> None:
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(InputError) as caught:
        encode_data(deep, "batch[2].data")
    assert caught.value.input == "batch[2].data"
    assert "nested too deeply" in caught.value.rule
    with pytest.raises(InputError, match="not a JSON number"):
        encode_data({"x": float("nan")})
