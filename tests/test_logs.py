"""Log lines: text or one JSON object each, fields included, nothing breaking a line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from mesg_pusher._logs import JsonFormatter, TextFormatter, configure


def _record(message: str, fields: dict[str, object] | None = None) -> logging.LogRecord:
    record = logging.LogRecord("mesg_pusher.runtime", logging.INFO, "x", 1, message, (), None)
    record.created = 1556704800.123
    record.msecs = 123
    if fields is not None:
        record.fields = fields
    return record


def test_text_lines_quote_values_that_would_break_them() -> None:
    line = TextFormatter().format(
        _record("execution", {"id": "a1", "error": 'bad "x"\nnext\u2028', "ms": 1.5})
    )
    assert line == (
        '2019-05-01T10:00:00.123Z info execution id=a1 error="bad \\"x\\"\\nnext\\u2028" ms=1.5'
    )


@pytest.mark.parametrize(
    "value",
    [0, -5, 10**30, 1.5, 1e-7, 1e22, 0.1 + 0.2, -0.0, float("nan"), float("inf"), True, None],
)
def test_numbers_are_written_as_json_writes_them(value: object) -> None:
    line = TextFormatter().format(_record("m", {"n": value}))
    assert line.endswith(f" n={json.dumps(value)}")


def test_records_do_not_look_up_threads_or_processes() -> None:
    configure("text", "info", io.StringIO())
    record = logging.getLogger("mesg_pusher.runtime").makeRecord(
        "mesg_pusher.runtime", logging.INFO, "", 0, "m", (), None
    )
    assert (record.thread, record.process, record.processName) == (None, None, None)


def test_text_lines_escape_line_breaks_in_the_message() -> None:
    record = _record("execution %s: the engine refused the output: %s")
    record.args = ("a1", "bad\r\nfake 2019-05-01T10:00:00.000Z error injected\u2028x\x1b[31m")
    line = TextFormatter().format(record)
    assert line == (
        "2019-05-01T10:00:00.123Z info execution a1: the engine refused the output: "
        "bad\\r\\nfake 2019-05-01T10:00:00.000Z error injected\\u2028x\\u001b[31m"
    )
    assert len(line.splitlines()) == 1


def test_json_lines_carry_the_fields() -> None:
    line = JsonFormatter().format(_record("execution", {"execution_id": "a1", "outcome": "error"}))
    assert json.loads(line) == {
        "time": "2019-05-01T10:00:00.123Z",
        "level": "info",
        "logger": "mesg_pusher.runtime",
        "message": "execution",
        "execution_id": "a1",
        "outcome": "error",
    }


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    package_level = logging.getLogger("mesg_pusher").level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("mesg_pusher").setLevel(package_level)


@pytest.mark.usefixtures("restore_logging")
def test_configure_levels_the_package_and_quiets_other_libraries() -> None:
    stream = io.StringIO()
    configure("json", "debug", stream)
    logging.getLogger("mesg_pusher.runtime").debug("ours")
    logging.getLogger("aiohttp.client").info("theirs")
    logging.getLogger("grpc").warning("theirs, important")
    messages = [json.loads(line)["message"] for line in stream.getvalue().splitlines()]
    assert messages == ["ours", "theirs, important"]
