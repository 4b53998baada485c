"""The parts every subcommand shares: printing that never fails on the terminal's encoding."""

from __future__ import annotations

import io
import json

import pytest

from mesg_pusher._commands import printable, say, say_json, usage_error


@pytest.mark.parametrize(
    ("text", "encoding", "kind", "printed"),
    [
        ("caf\u00e9", "utf-8", "line", "caf\u00e9"),
        ("caf\u00e9", "latin-1", "line", "caf\u00e9"),
        ("caf\u00e9", "ascii", "line", "caf\\xe9"),
        ("\ud800 \udcff", "utf-8", "line", "\\ud800 \\udcff"),
        ("a\nb\tc\u2028d\x1b", "utf-8", "line", "a\\nb\\tc\\u2028d\\x1b"),
        ("a\nb\tc\u2028d\x1b", "utf-8", "document", "a\nb\tc\\u2028d\\x1b"),
        (
            '{\n  "e": "caf\u00e9 \U0001f600"\n}',
            "ascii",
            "json",
            '{\n  "e": "caf\\u00e9 \\ud83d\\ude00"\n}',
        ),
        ('"\ud800\u2029"', "utf-8", "json", '"\\ud800\\u2029"'),
        ("caf\u00e9", "no-such-codec", "line", "caf\\xe9"),
        ("caf\u00e9", None, "line", "caf\u00e9"),
    ],
)
def test_printable(text: str, encoding: str | None, kind: str, printed: str) -> None:
    assert printable(text, encoding, kind=kind) == printed  # type: ignore[arg-type]


def test_json_printed_on_an_ascii_terminal_is_the_same_json() -> None:
    data = {"error": "caf\u00e9 \ud800 \U0001f600 \u2028", "n": [1, 2.5]}
    out = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    say_json(data, stream=out)
    out.seek(0)
    assert json.loads(out.read()) == data


def test_a_line_goes_out_whole_on_a_strict_stream() -> None:
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    say("Task t\udcffx returned", stream=out)
    out.seek(0)
    assert out.read() == "Task t\\udcffx returned\n"


def test_a_usage_error_is_one_line_naming_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert usage_error("engine", "cannot listen\non 127.0.0.1:1:\n  busy") == 2
    assert (
        capsys.readouterr().err == "mesg-pusher engine: error: cannot listen on 127.0.0.1:1: busy\n"
    )
