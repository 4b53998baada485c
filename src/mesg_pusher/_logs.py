"""Log lines an operator can read or feed to a log system: text or one JSON object per line,
each with a UTC time, the level, the message and the line's fields (``extra={"fields": {...}}``).
Every command that logs sets logging up here, with `configure`, so all log alike.

Nothing here sees task inputs: ``serve``'s lines carry execution ids, task keys, outcomes,
durations and error outputs, which the task runner has already scrubbed of app secrets and
proxy passwords.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import re
import sys
import time
from collections.abc import Mapping
from typing import Any, Final, TextIO

from ._text import LINE_BREAKING

NAMESPACE: Final = "mesg_pusher"
_PLAIN = re.compile(r"[A-Za-z0-9_.:/@+-]+")


@functools.lru_cache(maxsize=4)  # lines come many per second: format each second once
def _second(second: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))


def _when(record: logging.LogRecord) -> str:
    return f"{_second(int(record.created))}.{int(record.msecs):03d}Z"


def _fields(record: logging.LogRecord) -> Mapping[str, Any]:
    fields = getattr(record, "fields", None)
    if type(fields) is dict:  # the usual case, without the abstract class's check
        return fields
    return fields if isinstance(fields, Mapping) else {}


def _escape(match: re.Match[str]) -> str:
    return json.dumps(match.group())[1:-1]


def _text_message(message: str) -> str:
    """The message with what would break the line escaped as in JSON (``\\n``): a message
    carries text from the engine or the network."""
    return LINE_BREAKING.sub(_escape, message)


def _text_value(value: Any) -> str:
    kind = type(value)
    if kind is str and _PLAIN.fullmatch(value):  # most values: ids, keys, outcomes
        plain: str = value
        return plain
    if kind is int or (kind is float and math.isfinite(value)):
        # Every line has numbers (a duration, a count): written as JSON writes them, without
        # JSON's encoder, and plain, so never quoted.
        return int.__repr__(value) if kind is int else float.__repr__(value)
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if _PLAIN.fullmatch(text):
        return text
    # Quoted, so a value never breaks the line (JSON leaves U+2028 and the like as they are).
    return _text_message(json.dumps(text, ensure_ascii=False))


class TextFormatter(logging.Formatter):
    """``2019-05-01T10:00:00.123Z info message key=value key="two words"``"""

    def format(self, record: logging.LogRecord) -> str:
        message = _text_message(record.getMessage())
        line = f"{_when(record)} {record.levelname.lower()} {message}"
        fields = _fields(record)
        if fields:
            line += " " + " ".join([f"{k}={_text_value(v)}" for k, v in fields.items()])
        if record.exc_info:
            line += " exception=" + _text_value(self.formatException(record.exc_info))
        return line


class JsonFormatter(logging.Formatter):
    """``{"time": ..., "level": ..., "logger": ..., "message": ..., <fields>}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _when(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(_fields(record))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(log_format: str, level: str, stream: TextIO | None = None) -> logging.Handler:
    """Send log lines to `stream` (standard error): the package's from `level` up, other
    libraries' from warning up. No line shows the thread or the process, so records do not
    look them up (each record would pay for it)."""
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    numeric = logging.getLevelNamesMapping()[level.upper()]
    root.setLevel(max(numeric, logging.WARNING))
    logging.getLogger(NAMESPACE).setLevel(numeric)
    return handler
