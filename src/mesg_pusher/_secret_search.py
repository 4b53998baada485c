"""Where runs of secrets are in a text, in every form they can be written in: the search that
hiding (``_secrets.py``) and refusing inputs (`mesg_pusher.tasks`) rely on.

A secret is found when a run of `MIN_SCRUBBED` or more of its characters shows (a message cut at
its length limit can end with most of one), written out or in any encoding recognised here: JSON
escapes (Go's ``\\u003c`` style included), Python escapes (in which messages quote inputs), HTML
character references (named, decimal, hex), URL encoding, each kind alone or all together,
decoded up to twice (an escape escaped again), white space reflowed, base64 from any starting
byte, and hex (either case). Each decoding is a view of the text whose characters map back to
the ones they came from, so what is found is the written form. Values shorter than
`MIN_SCRUBBED` cannot be told from ordinary words and are not looked for.
"""

from __future__ import annotations

import base64
import codecs
import functools
import html
import re
from collections.abc import Callable
from typing import Any, Final

#: Secrets shorter than this cannot be told from ordinary words, so they are not looked for in
#: other texts; Pusher's app secrets have 20 characters.
MIN_SCRUBBED: Final = 8
#: Longest app secret or proxy credential accepted as an input (Pusher's secrets have 20
#: characters): every run of a secret up to this length is looked for, and a longer one is
#: refused before anything could quote it.
MAX_SECRET_CHARS: Final = 4096

# The escapes a server (or a quoted input) may write a character in, one character or byte
# each. JSON's: \uXXXX (Go writes <, > and & so), surrogate pairs, \n and the like. Python's
# (in which messages quote inputs): \xXX, \uXXXX, \UXXXXXXXX, octal, \n and the like. HTML
# character references, decimal, hex and named (every name is letters and digits: a wider
# pattern would swallow other escapes after an "&" that names nothing), read by html.unescape
# as the HTML standard reads them. URL %XX bytes, read as UTF-8.
_PAIR = r"\\u(?P<high>[dD][89abAB][0-9a-fA-F]{2})\\u(?P<low>[dD][c-fC-F][0-9a-fA-F]{2})"
_UNIT = r"\\u(?P<unit>[0-9a-fA-F]{4})"
_PYTHON_ONLY = r"\\U(?P<wide>[0-9a-fA-F]{8})|\\x(?P<byte>[0-9a-fA-F]{2})|\\(?P<octal>[0-7]{1,3})"
_ANY_SIMPLE = r"\\(?P<simple>[nrtbfav\"\\/'])"
_REFERENCES = r"(?P<reference>&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]{0,31};?))"
_PERCENT = r"(?P<percent>(?:%[0-9a-fA-F]{2})+)"
_SIMPLE_ESCAPES: Final = {
    "n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "a": "\a", "v": "\v",
}  # fmt: skip
# Each family of escapes alone, and all together: a text may hold escapes of one kind meant to
# be read and others of another kind shown as they are.
_DECODINGS = tuple(
    (re.compile("|".join(parts)), frozenset(markers))
    for parts, markers in (
        ((_PAIR, _UNIT, _PYTHON_ONLY, _ANY_SIMPLE, _REFERENCES, _PERCENT), "\\&%"),
        ((_PAIR, _UNIT, r"\\(?P<simple>[nrtbf\"\\/])"), "\\"),
        ((_PAIR, _UNIT, _PYTHON_ONLY, r"\\(?P<simple>[nrtbfav\"\\'])"), "\\"),
        ((_REFERENCES,), "&"),
        ((_PERCENT,), "%"),
    )
)
#: Every character that opens an escape of some decoding.
_MARKERS: Final = frozenset().union(*(markers for _, markers in _DECODINGS))
#: Decodings applied one after another at most: an escape escaped again is read too.
DECODING_DEPTH: Final = 2
_SPACES = re.compile(r"\s+")
_FORM_SPACES = re.compile(r"[\s+]+")
# Base64 (standard and URL-safe): 11 characters carry 8 bytes, the shortest run looked for.
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{11,}={0,2}")
# Hex, either case: 16 digits carry 8 bytes, the shortest run looked for.
_HEX = re.compile(r"[0-9a-fA-F]{16,}")
_URL_SAFE = bytes.maketrans(b"-_", b"+/")


class _View:
    """A text as a decoding reads it, each of its characters mapped back to the characters of
    the original text it came from (`origin` is None when they are the same)."""

    __slots__ = ("origin", "text")

    def __init__(self, text: str, origin: list[tuple[int, int]] | None = None) -> None:
        self.text = text
        self.origin = origin

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original characters behind this view's `start` to `end`."""
        if self.origin is None:
            return start, end
        return self.origin[start][0], self.origin[end - 1][1]

    def _derived(self, pieces: list[tuple[str, int, int]]) -> _View:
        # `pieces`: (text, start, end) in this view's positions, in order, covering it whole.
        chars: list[str] = []
        origin: list[tuple[int, int]] = []
        for text, start, end in pieces:
            if end - start == len(text):
                # An unchanged stretch: character for character.
                for offset, char in enumerate(text):
                    chars.append(char)
                    origin.append(self.span(start + offset, start + offset + 1))
            else:
                span = self.span(start, end)
                for char in text:
                    chars.append(char)
                    origin.append(span)
        return _View("".join(chars), origin)

    def decoded(self, escapes: re.Pattern[str], markers: frozenset[str]) -> _View | None:
        """This view with every escape `escapes` finds decoded once; None if it has none."""
        if markers.isdisjoint(self.text) or escapes.search(self.text) is None:
            return None
        return self._derived(_pieces(self.text, escapes, _decode))

    def collapsed(self, spaces: re.Pattern[str]) -> _View:
        """This view with each run of white space (as `spaces` says) read as one space, the way
        a message is reflowed."""
        return self._derived(_pieces(self.text, spaces, _one_space))


def _pieces(
    text: str,
    pattern: re.Pattern[str],
    read: Callable[[re.Match[str]], list[tuple[str, int, int]]],
) -> list[tuple[str, int, int]]:
    """`text` as (text, start, end) pieces covering it whole: what `pattern` matches read by
    `read`, the stretches between kept as they are."""
    pieces: list[tuple[str, int, int]] = []
    position = 0
    for match in pattern.finditer(text):
        start, end = match.span()
        if start > position:
            pieces.append((text[position:start], position, start))
        pieces.extend(read(match))
        position = end
    if position < len(text):
        pieces.append((text[position:], position, len(text)))
    return pieces


def _one_space(match: re.Match[str]) -> list[tuple[str, int, int]]:
    return [(" ", *match.span())]


def _decode(match: re.Match[str]) -> list[tuple[str, int, int]]:
    """One escape as (text, start, end) pieces: one per character, bytes joined into theirs."""
    start, end = match.span()
    kind = match.lastgroup
    value = match.group(kind or 0)
    if kind == "low":  # a surrogate pair, "high" first
        high = int(match.group("high"), 16)
        pair = (high - 0xD800) * 0x400 + (int(value, 16) - 0xDC00) + 0x10000
        return [(chr(pair), start, end)]
    if kind in ("unit", "byte"):
        return [(chr(int(value, 16)), start, end)]
    if kind == "octal":
        return [(chr(int(value, 8)), start, end)]
    if kind == "wide":
        code = int(value, 16)
        return [(chr(code) if code <= 0x10FFFF else match.group(), start, end)]
    if kind == "simple":
        return [(_SIMPLE_ESCAPES.get(value, value), start, end)]
    if kind == "reference":
        return [(html.unescape(value), start, end)]
    # %XX bytes: each character spans the bytes it was written in.
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    pieces: list[tuple[str, int, int]] = []
    first = start
    for index in range(start, end, 3):
        text = decoder.decode(bytes([int(value[index - start + 1 : index - start + 3], 16)]))
        if text:
            pieces.append((text, first, index + 3))
            first = index + 3
    tail = decoder.decode(b"", final=True)
    if tail:
        pieces.append((tail, first, end))
    return pieces


class SecretFinder:
    """Where runs of some secrets are in a text, in every encoding it knows."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        self.literals = tuple(sorted(set(secrets), key=len, reverse=True))
        indexed = [s[:MAX_SECRET_CHARS] for s in self.literals if len(s) >= MIN_SCRUBBED]
        self.spaced = any(_SPACES.search(s) for s in indexed)
        forms = set(indexed)
        if self.spaced:
            forms.update(_SPACES.sub(" ", s) for s in indexed)
        run = MIN_SCRUBBED
        self.grams = frozenset(f[i : i + run] for f in forms for i in range(len(f) - run + 1))
        raw = [s.encode("utf-8", "surrogatepass") for s in indexed]
        self.byte_grams = frozenset(b[i : i + run] for b in raw for i in range(len(b) - run + 1))
        # A sieve for base64, in C: any `run` bytes of a secret, wherever they sit in a stream,
        # hold two whole groups of three bytes, written as 8 characters that depend on those
        # six bytes alone. A run of base64 without one of these cannot decode to a secret's run.
        groups = {base64.b64encode(b[i : i + 6]) for b in raw for i in range(len(b) - 5)}
        self.base64_sieve = re.compile(b"|".join(re.escape(g) for g in sorted(groups)))
        self.hex_grams = frozenset(gram.hex() for gram in self.byte_grams)
        alphabet = "".join(sorted({c for f in forms for c in f}))
        # A first sieve, in C: only stretches of the secrets' own characters can hold a run.
        self.candidates = re.compile(f"[{re.escape(alphabet)}]{{{run},}}") if alphabet else None

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The stretches of `text` that show a run of a secret, in any order."""
        if self.candidates is None:
            return []
        if not self.spaced and _MARKERS.isdisjoint(text):
            # No decoding reads this text otherwise than as written, and no reflowing is
            # looked for (the usual answer): the text as written is the one view.
            plain = _View(text)
            return self._runs(plain) + self._encoded(plain)
        # The text as written, and as each decoding and each chain of them reads it.
        bases = [_View(text)]
        seen = {text}
        level = bases
        once = 1  # how many views are the text as written and decoded once
        for depth in range(DECODING_DEPTH):
            following = []
            for view in level:
                for escapes, markers in _DECODINGS:
                    decoded = view.decoded(escapes, markers)
                    if decoded is not None and decoded.text not in seen:
                        seen.add(decoded.text)
                        following.append(decoded)
            bases = bases + following
            level = following
            if depth == 0:
                once = len(bases)
        views = list(bases)
        if self.spaced:
            # Reflowed as messages are, and with "+" read as a space as forms write it.
            for view in bases:
                views.append(view.collapsed(_SPACES))
                if "+" in view.text:
                    views.append(view.collapsed(_FORM_SPACES))
        found: list[tuple[int, int]] = []
        for view in views:
            found += self._runs(view)
        for view in bases[:once]:  # as written and decoded once
            found += self._encoded(view)
        return found

    def shows(self, text: str) -> bool:
        """Whether hiding (`mesg_pusher._secrets.scrub`) would hide anything of `text`."""
        return self._written_out_in(text) or bool(self.spans(text))

    def shows_plainly(self, text: str) -> bool:
        """Whether `text` shows a secret, or a run of one, as written, in base64 or in hex (no
        escapes decoded): a look whose cost grows with the text alone, whatever it holds."""
        if self._written_out_in(text):
            return True
        if self.candidates is None:
            return False
        plain = _View(text)
        if self._runs(plain) or self._encoded(plain):
            return True
        return self.spaced and bool(self._runs(plain.collapsed(_SPACES)))

    def _written_out_in(self, text: str) -> bool:
        # A loop: any() over a generator costs more than the search itself for a few secrets.
        for secret in self.literals:  # noqa: SIM110
            if secret in text:
                return True
        return False

    def _runs(self, view: _View) -> list[tuple[int, int]]:
        assert self.candidates is not None
        run, grams, text = MIN_SCRUBBED, self.grams, view.text
        found = []
        for match in self.candidates.finditer(text):
            index, end = match.span()
            while index + run <= end:
                if text[index : index + run] not in grams:
                    index += 1
                    continue
                last = index
                while last + 1 + run <= end and text[last + 1 : last + 1 + run] in grams:
                    last += 1
                found.append(view.span(index, last + run))
                index = last + 1
        return found

    def _encoded(self, view: _View) -> list[tuple[int, int]]:
        """The runs of base64 or hex in `view` that decode to a run of a secret."""
        return self._base64(view) + self._hex(view)

    def _hex(self, view: _View) -> list[tuple[int, int]]:
        grams, width = self.hex_grams, 2 * MIN_SCRUBBED
        found = []
        for match in _HEX.finditer(view.text):
            digits = match.group().lower()
            # Any start: a run of hex may begin on either digit of a byte.
            if any(digits[i : i + width] in grams for i in range(len(digits) - width + 1)):
                found.append(view.span(*match.span()))
        return found

    def _base64(self, view: _View) -> list[tuple[int, int]]:
        found = []
        for match in _BASE64.finditer(view.text):
            if self._in_base64(match.group().rstrip("=").encode("ascii").translate(_URL_SAFE)):
                found.append(view.span(*match.span()))
        return found

    def _in_base64(self, run: bytes) -> bool:
        if self.base64_sieve.search(run) is None:
            return False
        # The run may start anywhere in a group of four: each start is tried.
        width, grams = MIN_SCRUBBED, self.byte_grams
        for offset in range(4):
            chars = run[offset:]
            whole = len(chars) - len(chars) % 4
            tail = chars[whole:]
            data = base64.b64decode(chars[:whole])
            if len(tail) >= 2:
                data += base64.b64decode(tail + b"=" * (4 - len(tail)))
            if any(data[i : i + width] in grams for i in range(len(data) - width + 1)):
                return True
        return False


@functools.lru_cache(maxsize=64)
def secret_finder(secrets: tuple[str, ...]) -> SecretFinder:
    """The finder of `secrets`, built once for the last few sets asked."""
    return SecretFinder(secrets)


def long_strings(value: Any) -> list[str]:
    """The strings of a JSON-like value that are long enough to show a run of a secret, keys
    included, walked without recursion."""
    texts: list[str] = []
    stack = [value]
    # Bound once: this walk runs over every answer passed on, and every execution's inputs.
    keep, pop, push = texts.append, stack.pop, stack.extend
    while stack:
        item = pop()
        if isinstance(item, str):
            if len(item) >= MIN_SCRUBBED:
                keep(item)
        elif isinstance(item, dict):
            push(item)
            push(item.values())
        elif isinstance(item, list | tuple):
            push(item)
    return texts
