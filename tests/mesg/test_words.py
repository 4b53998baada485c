"""The engine's words: each template writes the engine's text and recognises it, whatever its
holes hold."""

from __future__ import annotations

import pytest

from mesg_pusher.mesg import words

#: An execution id of a v0.1-v0.3 engine: spaces, quotes, braces, a line break, any Unicode.
V02_ID = (
    "2026-12-01 09:25:41.188702065 +0000 UTC.mesg-pusher.trigger."
    '{"appId":"1","data":{"a":"x\' \\u003cb\\u003e\\n\\u2028é"},"secret":"s3cr3t-s3cr3t"}'
)


@pytest.mark.parametrize(
    ("text", "values", "written"),
    [
        (words.EXECUTION_GONE, {"id": "42"}, "Execution 42 doesn't exists"),
        (
            words.EXECUTION_NOT_IN_QUEUE,
            {"id": "42"},
            "Execution '42' not found in queue 'inProgress'",
        ),
        (
            words.SERVICE_NOT_FOUND,
            {"token": "abc"},
            "Database services: Service with hash 'abc' not found",
        ),
        (
            words.TASK_NOT_FOUND,
            {"task": "t", "service": "s"},
            "Task 't' not found in service 's'",
        ),
        (
            words.OUTPUT_NOT_FOUND,
            {"output": "o", "task": "t", "service": "s"},
            "Output 'o' of task 't' not found in service 's'",
        ),
        (
            words.EVENT_NOT_FOUND,
            {"event": "e", "service": "s"},
            "Event 'e' not found in service 's'",
        ),
        (
            words.JSON_NOT_AN_OBJECT,
            {"kind": "array"},
            "json: cannot unmarshal array into Go value of type map[string]interface {}",
        ),
    ],
)
def test_a_template_writes_the_text_and_recognises_it(
    text: words.EngineText, values: dict[str, str], written: str
) -> None:
    assert text.format(**values) == written
    assert text.match(written) == values


@pytest.mark.parametrize(
    "text", [words.EXECUTION_GONE, words.EXECUTION_NOT_IN_QUEUE], ids=["api", "queue"]
)
@pytest.mark.parametrize(
    "execution_id", [V02_ID, "a" * 40, "", "x\ny", "'quoted'", "\u202e\U0001f600"]
)
def test_execution_gone_is_recognised_for_any_id(text: words.EngineText, execution_id: str) -> None:
    assert text.match(text.format(id=execution_id)) == {"id": execution_id}


def test_only_the_whole_text_matches() -> None:
    assert words.EXECUTION_GONE.match("Execution 42 doesn't exists\nand more") is None
    assert words.EXECUTION_GONE.match("error: Execution 42 doesn't exists") is None
    assert words.TASK_NOT_FOUND.match("Task 'x' not found in service 'y', retry") is None


def test_validation_texts_join_the_problems() -> None:
    problems = [("appId", words.REQUIRED), ("data", words.NOT_OF_TYPE["Object"])]
    assert words.inputs_invalid("trigger", problems) == (
        "Inputs of task 'trigger' are invalid. Value of 'appId' is required. "
        "Value of 'data' is not an object or array"
    )
    assert words.outputs_invalid("success", "trigger", problems[:1]) == (
        "Outputs 'success' of task 'trigger' are invalid. Value of 'appId' is required"
    )
    # The spec's wording for an event ("is invalid", not "are invalid").
    assert words.event_data_invalid("started", problems[:1]) == (
        "Data of event 'started' is invalid. Value of 'appId' is required"
    )


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("unexpected end of JSON input", True),
        ("invalid character 'x' looking for beginning of value", True),
        ("invalid character '}' after object key", True),  # Go's other syntax errors
        ("invalid character '[' exceeded max depth", True),
        ("json: cannot unmarshal number 1e400 into Go value of type float64", True),
        ("json: cannot unmarshal array into Go value of type map[string]interface {}", True),
        ("database is locked", False),
        ("Execution 42 doesn't exists", False),
    ],
)
def test_go_json_refusals_are_recognised_by_their_opening(text: str, refusal: bool) -> None:
    assert words.is_json_refusal(text) is refusal
