"""The engine's texts and its Go-style JSON."""

from __future__ import annotations

import json

import pytest

from mesg_pusher.engine import messages
from mesg_pusher.mesg import words


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
        words.outputs_invalid("success", "trigger", [("message", "is required")])
        == "Outputs 'success' of task 'trigger' are invalid. Value of 'message' is required"
    )
    assert words.inputs_invalid(
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
        # Numbers beyond float64, in Go's words (the literal as written).
        ('{"a": [1e400]}', "json: cannot unmarshal number 1e400 into Go value of type float64"),
        ('{"a": -1E+400}', "json: cannot unmarshal number -1E+400 into Go value of type float64"),
        (
            '{"a": 1' + "0" * 400 + "}",
            f"json: cannot unmarshal number 1{'0' * 400} into Go value of type float64",
        ),
        ('{"a": 1e-400, "b": 12345678901234567890}', None),  # underflow is 0; big is float
        # The whole text's syntax and kind come first.
        ('{"a": 1e400, "b": }', "invalid character '}' looking for beginning of value"),
        ("[1e400]", "json: cannot unmarshal array into Go value of type map[string]interface {}"),
        # Nesting beyond what is decoded, in the words of Go's own limit.
        ('{"a":' + "[" * 3000 + "]" * 3000 + "}", "invalid character '[' exceeded max depth"),
        (
            '{"a":' + "[" * 499 + "{" + "}" + "]" * 499 + "}",
            "invalid character '{' exceeded max depth",
        ),
        ('{"a":' + "[" * 499 + "]" * 499 + "}", None),  # 500 deep, the object included
        ('{"a": "' + "[" * 3000 + '"}', None),  # brackets in strings do not nest
        ('{"a": "\\\\", "b": "\\"' + "[" * 3000 + '"}', None),
    ],
)
def test_json_error(text: str, problem: str | None) -> None:
    assert messages.json_error(text) == problem


def test_lone_surrogates_become_the_replacement_character_as_in_go() -> None:
    decoded = messages.decode_object('{"a": "\\ud800x", "\\udfff": ["\\ud83d\\ude00\\udc00"]}')
    assert decoded == {"a": "\ufffdx", "\ufffd": ["\U0001f600\ufffd"]}
    assert messages.go_json({"k\ud800": "\udfff"}) == '{"k\ufffd":"\ufffd"}'
    assert messages.go_json(decoded).encode("utf-8")  # always encodable


def test_null_is_an_empty_map_and_refusals_are_value_errors() -> None:
    assert messages.decode_object("null") == {}
    with pytest.raises(ValueError, match=r"^unexpected end of JSON input$"):
        messages.decode_object("")
