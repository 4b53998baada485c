"""What every ``mesg-pusher`` subcommand shares, so that sibling commands behave alike: the exit
statuses, printing that cannot fail on the terminal's encoding, and the one-line usage error.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Final, Literal, TextIO

#: Exit statuses: the command did its job; it ran and failed (an ``error`` output, a definition
#: that is invalid, a service that could not go on); it was used wrongly (an option, a file it
#: cannot read, an address it cannot listen on).
EXIT_OK: Final = 0
EXIT_FAILURE: Final = 1
USAGE_ERROR: Final = 2
#: What Python's own interrupt handling exits with after Ctrl-C.
EXIT_INTERRUPTED: Final = 130

#: Characters that would end or garble a printed line: controls, and the Unicode line breaks.
_BREAKING: Final = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
#: The same, less the line feeds and tabs that lay out a document or indented JSON.
_BREAKING_INSIDE: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]")
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
    breaking = _BREAKING if kind == "line" else _BREAKING_INSIDE
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


def usage_error(command: str, message: str) -> int:
    """Report a usage error on one line of standard error; the status to exit with."""
    say(f"mesg-pusher {command}: error: {' '.join(message.split())}", stream=sys.stderr)
    return USAGE_ERROR


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
