"""The parts every subcommand shares: printing that never fails on the terminal's encoding, one
error mapping for mesg.yml, one port type, one busy-port status, one way to stop on signals."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from mesg_pusher._command_line import (
    UsageError,
    printable,
    read_definition,
    say,
    say_json,
    usage_error,
)
from mesg_pusher.mesg import DefinitionError


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


# --- the same rules for every subcommand, checked on the real commands -------------------------


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mesg_pusher.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("GRPC_")},
    )


@pytest.mark.parametrize(
    "command", [["engine"], ["local-server"], ["demo"]], ids=["engine", "local-server", "demo"]
)
def test_a_busy_port_is_a_one_line_usage_error_in_every_server_command(
    command: list[str],
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        done = _run(*command, "--port", str(busy))
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr == (
        f"mesg-pusher {command[0]}: error: cannot listen on 127.0.0.1:{busy}: "
        "Address already in use\n"
    )


@pytest.mark.parametrize("command", ["engine", "local-server", "demo"])
@pytest.mark.parametrize("given", ["70000", "-1", "\u00b2", "http"])
def test_a_port_is_checked_alike_in_every_server_command(command: str, given: str) -> None:
    done = _run(command, "--port", given)
    assert done.returncode == 2
    assert done.stderr.endswith(f"argument --port: {given!r} is not a port (0 to 65535)\n")


@pytest.mark.slow
@pytest.mark.parametrize("command", ["validate", "gen-doc", "engine"])
def test_a_mesg_yml_that_cannot_be_read_is_the_same_usage_error_everywhere(
    command: str, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.yml"
    done = _run(command, "--file", str(missing))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"mesg-pusher {command}: error: cannot read {missing}: No such file or directory\n"
    )
    binary = tmp_path / "binary.yml"
    binary.write_bytes(b"name: caf\xe9\n")
    done = _run(command, "--file", str(binary))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"mesg-pusher {command}: error: {binary} is not UTF-8 text\n"


@pytest.mark.slow
def test_read_definition_maps_each_problem_once(tmp_path: Path) -> None:
    assert read_definition(None).name == "mesg-pusher"
    with pytest.raises(UsageError, match=r"cannot read .*: Is a directory"):
        read_definition(str(tmp_path))
    problems = {
        "deep.yml": ("name: x\ndescription: " + "[" * 5000 + "]" * 5000, "is nested too deeply"),
        "yaml.yml": ("name: [x\n", "mesg.yml is not valid YAML"),
        "date.yml": ("name: x\ndescription: 2019-13-45\n", "month must be in 1..12"),
        "rules.yml": ("name: x\ntasks:\n  t: {}\n", "tasks.t.outputs: is required"),
    }
    for name, (text, words) in problems.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(DefinitionError, match=re.escape(words)):
            read_definition(str(tmp_path / name))


SIGNALLED = """
import asyncio, logging, sys
from mesg_pusher._command_line import stop_on_signals

async def main():
    stop = stop_on_signals(logging.getLogger("mesg_pusher.test"))
    print("ready", flush=True)
    await stop.wait()
    print("stopping", flush=True)
    await asyncio.sleep(60)  # a graceful stop that takes long: the second signal cuts it

logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(message)s")
asyncio.run(main())
"""


@pytest.mark.parametrize(
    ("first", "second"),
    [(signal.SIGTERM, signal.SIGINT), (signal.SIGINT, signal.SIGINT)],
    ids=["TERM-then-INT", "INT-twice"],
)
def test_the_first_signal_stops_gracefully_and_a_second_exits_at_once(
    first: signal.Signals, second: signal.Signals
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", SIGNALLED],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "ready\n"
        process.send_signal(first)
        assert process.stdout.readline() == "stopping\n"
        process.send_signal(second)
        assert process.wait(timeout=30) == 128 + second
        _, errors = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert errors.splitlines() == [
        f"received {first.name}: stopping gracefully (send it again to exit at once)",
        f"received {second.name} again: exiting at once",
    ]
