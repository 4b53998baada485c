"""What every ``mesg-pusher`` subcommand shares, so that sibling commands behave alike: the exit
statuses, the one-line error report, printing that cannot fail on the terminal's encoding,
reading a ``mesg.yml``, reading a task's inputs (``-d KEY=VALUE``, ``--json FILE``), the port
argument, and running until a signal.

Errors: a problem with how the command was called (an option, a file it cannot read, an address
it cannot listen on) is a `UsageError`, exit status 2, reported on one line as
``mesg-pusher <command>: error: <message>``. A ``mesg.yml`` that can be read but is not a
valid definition is a `DefinitionError`: ``validate`` and ``gen-doc`` report it as their verdict
(status 1); a command that needs the definition to run (``engine``) cannot be used with it, so
it is a usage error there.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import difflib
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal, TextIO

from ._errors import MesgPusherError
from ._json import loads
from ._text import LAYOUT_BREAKING, LINE_BREAKING
from .mesg import (
    MAX_INPUT_BYTES,
    DefinitionError,
    OldestRelease,
    ServiceDefinition,
    load,
    packaged_text,
)

#: Exit statuses: the command did its job; it ran and failed (an ``error`` output, a definition
#: that is invalid, a service that could not go on); it was used wrongly (an option, a file it
#: cannot read, an address it cannot listen on).
EXIT_OK: Final = 0
EXIT_FAILURE: Final = 1
USAGE_ERROR: Final = 2
#: What Python's own interrupt handling exits with after Ctrl-C.
EXIT_INTERRUPTED: Final = 130

#: What is printed: one line, indented JSON, or a document of several lines.
Kind = Literal["line", "json", "document"]


def printable(text: str, encoding: str | None, *, kind: Kind = "line") -> str:
    """`text` made printable in `encoding`: what it cannot write (a lone surrogate, anything
    outside ASCII on an ASCII terminal) is escaped, and so is what would break the layout
    (controls, U+2028 and the like; in a ``"line"`` line feeds and tabs too). ``"json"`` text
    gets JSON escapes (``\\u00e9``), so it stays the same JSON; a ``"line"`` or a
    ``"document"`` gets Python's (``\\xe9``)."""
    codec = encoding or "utf-8"
    escape = _json_escape if kind == "json" else _python_escape
    breaking = LINE_BREAKING if kind == "line" else LAYOUT_BREAKING
    text = breaking.sub(lambda match: escape(match.group()), text)
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        return "".join(char if _encodes(char, codec) else escape(char) for char in text)
    except LookupError:  # an encoding Python does not know: ASCII is safe everywhere
        return printable(text, "ascii", kind=kind)
    return text


def say(text: str = "", *, stream: TextIO | None = None, kind: Kind = "line") -> None:
    """Print `text` and a line feed (on standard output by default) so that it always prints;
    a reader that went away (``| head``) ends the output quietly, not with a traceback."""
    out = stream if stream is not None else sys.stdout
    try:
        out.write(printable(text, getattr(out, "encoding", None), kind=kind) + "\n")
        out.flush()
    except BrokenPipeError:
        # Python flushes standard output once more at exit; let that go nowhere.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
        os.close(devnull)


def say_json(data: object, *, stream: TextIO | None = None) -> None:
    """`data` as indented JSON, non-ASCII kept where the terminal can show it."""
    say(json.dumps(data, indent=2, ensure_ascii=False), stream=stream, kind="json")


class UsageError(MesgPusherError, ValueError):
    """The command was called in a way it cannot run: the message says what to change."""


def fail(command: str, message: str, status: int = EXIT_FAILURE) -> int:
    """Report an error on one line of standard error; the status to exit with."""
    say(f"mesg-pusher {command}: error: {' '.join(message.split())}", stream=sys.stderr)
    return status


def usage_error(command: str, message: str) -> int:
    """Report a usage error on one line of standard error; the status to exit with (2)."""
    return fail(command, message, USAGE_ERROR)


# --- arguments and files -----------------------------------------------------------------------


def port(text: str) -> int:
    """An argparse type: a TCP port, 0 (any free one) to 65535."""
    number = int(text) if text.isascii() and text.isdigit() and len(text) <= 5 else -1
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0 to 65535)")
    return number


def read_definition(path: str | None, *, engine: OldestRelease = "v0.1") -> ServiceDefinition:
    """The service definition in `path` (the packaged ``mesg.yml`` when None), as engines from
    `engine` on read it. A file that cannot be read is a `UsageError`; one whose content is
    not a definition, a `DefinitionError`."""
    text = definition_text(path)
    try:
        return load(text, engine=engine)
    except RecursionError:
        raise DefinitionError(f"{path or 'mesg.yml'} is nested too deeply") from None
    except DefinitionError:
        raise
    except ValueError as error:  # what else the YAML reader refuses (a date like 2019-13-45)
        raise DefinitionError(f"{path or 'mesg.yml'}: {error}") from None


def definition_text(path: str | None) -> str:
    """The text of the definition in `path` (the packaged ``mesg.yml`` when None); a
    `UsageError` when it cannot be read as UTF-8 text."""
    if path is None:
        return packaged_text()
    try:
        return Path(path).read_bytes().decode("utf-8")
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text") from None


def cannot_listen(where: str, error: OSError) -> UsageError:
    """The usage error of a server that cannot listen on `where` (``host:port``)."""
    if isinstance(error, socket.gaierror) or not error.errno or error.errno < 0:
        reason = error.strerror or str(error)
    else:  # asyncio's own text repeats the address; the system's words are enough
        reason = os.strerror(error.errno)
    return UsageError(f"cannot listen on {where}: {reason}")


def read_inputs(
    json_file: str | None, pairs: Sequence[str], kinds: Mapping[str, str]
) -> dict[str, Any]:
    """The inputs of ``--json FILE`` (``-`` reads standard input) and of each ``-d KEY=VALUE``
    (which win), a `UsageError` naming what is wrong. `kinds` gives the type each input is
    declared with (``String``, ``Number``, ``Boolean``, ``Object``, ...), which says how to read
    a ``-d`` value."""
    inputs: dict[str, Any] = {}
    if json_file is not None:
        try:
            # JSON is UTF-8 (RFC 8259), whatever the terminal's encoding says.
            text = _read_bounded(json_file, MAX_INPUT_BYTES).decode("utf-8")
        except OSError as error:
            raise UsageError(f"--json: cannot read {json_file}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise UsageError(f"--json: {json_file} is not UTF-8 text") from None
        try:
            parsed = loads(text)
        except ValueError as error:
            raise UsageError(f"--json: {json_file} is not valid JSON ({error})") from None
        if not isinstance(parsed, dict):
            raise UsageError(f"--json: {json_file} must hold a JSON object of inputs")
        inputs.update(parsed)
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"-d: expected KEY=VALUE, got {pair!r}")
        inputs[key] = _typed(key, raw, kinds.get(key, "String"))
    return inputs


def undeclared(task: str, inputs: Mapping[str, Any], declared: Collection[str]) -> list[str]:
    """What to say of each input in `inputs` that `task` does not declare (the task leaves
    it out): its name, and the declared one it may have meant."""
    said = []
    for name in inputs:
        if name in declared:
            continue
        text = f"task {task} has no input {name!r}; it is left out"
        close = difflib.get_close_matches(name, list(declared), n=1)
        if close:
            text += f" (did you mean {close[0]!r}?)"
        said.append(text)
    return said


def _read_bounded(json_file: str, limit: int) -> bytes:
    """The bytes of `json_file` ('-': standard input), at most `limit` of them: serve refuses
    larger inputs, and a file without end (/dev/zero) is read no further than one byte past."""
    if json_file == "-":
        raw = sys.stdin.buffer.read(limit + 1)
    else:
        with Path(json_file).open("rb") as file:
            raw = file.read(limit + 1)
    if len(raw) > limit:
        raise UsageError(
            f"--json: {json_file} is larger than {limit} bytes, the most serve takes as an "
            "execution's inputs"
        )
    return raw


def _typed(key: str, raw: str, kind: str) -> Any:
    """`raw` read as `kind`; a number or a boolean that does not read as one stays text, so the
    task reports the type error in the engine's words. An Object's value is JSON, or a usage
    error quoting what JSON refuses in it; another type's (``Any``) is JSON where it reads as
    JSON, else the text."""
    if kind == "String":
        return raw
    if kind == "Boolean":
        return {"true": True, "false": False}.get(raw, raw)
    try:
        value = loads(raw)
    except ValueError as error:
        if kind == "Object":
            raise UsageError(f"-d {key}: not valid JSON ({error})") from None
        return raw
    if kind == "Number":
        return value if isinstance(value, int | float) and not isinstance(value, bool) else raw
    return value


# --- running until a signal --------------------------------------------------------------------


def stop_on_signals(
    log: logging.Logger, signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT)
) -> asyncio.Event:
    """An event the first of `signals` (SIGTERM or SIGINT) sets, to stop gracefully; a second
    one exits the process at once with status 128 + its number. Call it in the running event
    loop."""
    stop = asyncio.Event()
    seen: list[int] = []

    def on_signal(number: int) -> None:
        seen.append(number)
        name = signal.Signals(number).name
        if len(seen) == 1:
            log.info("received %s: stopping gracefully (send it again to exit at once)", name)
            stop.set()
            return
        log.warning("received %s again: exiting at once", name)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(128 + number)

    loop = asyncio.get_running_loop()
    for number in signals:
        loop.add_signal_handler(number, on_signal, number)
    return stop


def _encodes(char: str, codec: str) -> bool:
    try:
        char.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def _json_escape(char: str) -> str:
    return json.dumps(char, ensure_ascii=True)[1:-1]  # a surrogate pair above U+FFFF


def _python_escape(char: str) -> str:
    if char.isascii():  # a control: \n, \t, \x1b
        return repr(char)[1:-1]
    return char.encode("ascii", "backslashreplace").decode("ascii")
