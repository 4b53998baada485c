"""How text is shown where room or characters are short, written once: a text cut to a length,
the characters that would break a printed line, and lone surrogates (which no UTF-8 encoder
writes)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

#: What stands for the part of a text cut away.
ELLIPSIS: Final = "…"
#: Characters that would end or garble a printed or logged line: controls, and the Unicode
#: line breaks.
LINE_BREAKING: Final = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
#: The same, less the line feeds and tabs that lay out a document or indented JSON.
LAYOUT_BREAKING: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]")
#: A surrogate code point on its own: Python strings may hold one, UTF-8 cannot.
LONE_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def cut(text: str, keep: int, escape: Callable[[str], str] = str) -> str:
    """`text` where room is short: its first `keep` characters, then `ELLIPSIS` when it is
    longer. `escape` writes the characters kept, never the mark, so a quoting that writes
    non-ASCII characters as escapes still shows the cut as a cut."""
    return escape(text) if len(text) <= keep else escape(text[:keep]) + ELLIPSIS
