"""The engine's texts and its Go-style JSON."""

from __future__ import annotations

import json

import pytest

from mesg_pusher.engine import messages


def test_refusal_texts_are_the_engines() -> None:
    assert (
        messages.service_not_found("abc") == "Database services: Service with hash 'abc' not found"
    )
    assert messages.execution_not_found("42") == "Execution 42 doesn't exists"
    assert (
        messages.output_not_found("done", "trigger", "mesg-pusher")
        == "Output 'done' of task 'trigger' not found in service 'mesg-pusher'"
    )
    assert (
        messages.outputs_invalid("success", "trigger", [("message", "is required")])
        == "Outputs 'success' of task 'trigger' are invalid. Value of 'message' is required"
    )
    assert messages.inputs_invalid(
        "trigger", [("appId", "is required"), ("data", "is not an object or array")]
    ) == (
        "Inputs of task 'trigger' are invalid. Value of 'appId' is required. "
        "Value of 'data' is not an object or array"
    )


def test_go_json_sorts_keys_escapes_html_and_writes_float64() -> None:
    text = messages.go_json(
        {"b": [1, 2.0, 1.5, 1e21, 1.5e-7, 0.000001, 10**24], "a": "<i>&\u2028é", "c": None}
    )
    assert text == (
        '{"a":"\\u003ci\\u003e\\u0026\\u2028é","b":[1,2,1.5,1e+21,1.5e-7,0.000001,1e+24],"c":null}'
    )
    assert json.loads(text)["a"] == "<i>&\u2028é"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"a": 1}', None),
        ("", "unexpected end of JSON input"),
        ('{"a": ', "unexpected end of JSON input"),
        ("nope", "invalid character 'n' looking for beginning of value"),
        ('{"a": NaN}', "invalid character 'N' looking for beginning of value"),
        ("[1]", "json: cannot unmarshal array into Go value of type map[string]interface {}"),
        ('"x"', "json: cannot unmarshal string into Go value of type map[string]interface {}"),
        ("null", None),  # Go leaves the map nil: no error, no values
        ("true", "json: cannot unmarshal bool into Go value of type map[string]interface {}"),
        ("1.5", "json: cannot unmarshal number into Go value of type map[string]interface {}"),
    ],
)
def test_json_error(text: str, problem: str | None) -> None:
    assert messages.json_error(text) == problem
