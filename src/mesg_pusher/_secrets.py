"""The values that must never be shown, found once per execution, and the one way to hide them.

An execution's secrets are the app secret, the proxy password (as written in the URL and
decoded, and as ``user:password`` and its base64 form, which the ``Proxy-Authorization`` header
carries) and the encryption master key (its base64 text, and the URL-safe form of it). The
service's environment can give each of them too; the task runner adds those to every
execution's. No input other than the ones that carry them may hold one (`free_of`), so a message
that quotes an input cannot show one; a server's answer is scrubbed before it is decoded and
quoted (`scrub_body`), and every message once more at the end, after it was cut (`scrub`).

Hiding a secret means hiding every run of `MIN_SCRUBBED` or more of its characters (a message
cut at its length limit can end with most of one), written out or in any encoding recognised
here: JSON escapes (Go's ``\\u003c`` style included), Python escapes (in which messages quote
inputs), HTML character references (named, decimal, hex), URL encoding, each kind alone or all
together, decoded up to twice (an escape escaped again), white space reflowed, and base64 from
any starting byte. Each decoding is a view of the text whose characters map back to the ones
they came from, so what is replaced is the written form. Values shorter than `MIN_SCRUBBED`
cannot be told from ordinary words and are not looked for.
"""

from __future__ import annotations

import base64
import codecs
import functools
import html
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from ._errors import InputError

REDACTED: Final = "***"
#: Secrets shorter than this cannot be told from ordinary words, so they are not looked for in
#: other texts; Pusher's app secrets have 20 characters.
MIN_SCRUBBED: Final = 8
#: The input carrying the app's encryption master key (``pusher.MASTER_KEY_INPUT``).
MASTER_KEY_INPUT: Final = "encryptionMasterKey"
#: Inputs allowed to hold a secret: the app secret itself, the proxy URL its password, and the
#: encryption master key.
SECRET_HOLDERS: Final = frozenset({"secret", "proxy", MASTER_KEY_INPUT})


def secrets_of(inputs: Mapping[str, Any]) -> list[str]:
    """The secrets an execution's inputs carry, long enough to be looked for."""
    found = []
    secret = inputs.get("secret")
    if isinstance(secret, str):
        found.append(secret)
    proxy = inputs.get("proxy")
    if isinstance(proxy, str) and "@" in proxy:
        try:
            parts = urlsplit(proxy)
            username, password = parts.username, parts.password
        except ValueError:
            username = password = None
        if password:
            found.extend(dict.fromkeys((password, unquote(password))))
            # The forms the password travels in to the proxy, which may echo them back. The
            # pair itself only when the password is too short to be looked for alone: a run
            # of the user name alone is no secret.
            pair = f"{unquote(username or '')}:{unquote(password)}"
            if len(unquote(password)) < MIN_SCRUBBED:
                found.append(pair)
            found.append(basic_credentials(pair))
    master_key = inputs.get(MASTER_KEY_INPUT)
    if isinstance(master_key, str) and master_key:
        # The URL-safe alphabet writes the same bytes with - and _ for + and /.
        found.extend(dict.fromkeys((master_key, master_key.translate(_TO_URL_SAFE))))
    return [value for value in found if len(value) >= MIN_SCRUBBED]


_TO_URL_SAFE: Final = str.maketrans("+/", "-_")


def basic_credentials(pair: str) -> str:
    """``user:password`` as HTTP Basic authentication sends it (``Proxy-Authorization:
    Basic <this>``): base64 of its UTF-8 bytes."""
    return base64.b64encode(pair.encode("utf-8", "surrogatepass")).decode("ascii")


def scrub(text: str, secrets: Sequence[str]) -> str:
    """`text` without any secret: each one written out, and each run of `MIN_SCRUBBED` or more
    of a secret's characters, plain or in any encoding `_Finder` knows, is replaced by ``***``.
    """
    if not secrets:
        return text
    finder = _finder(tuple(secrets))
    for secret in finder.literals:
        text = text.replace(secret, REDACTED)
    return _redact(text, finder.spans(text))


def scrub_body(body: bytes, secrets: Sequence[str]) -> bytes:
    """`body` (a server's answer) scrubbed as `scrub` does, before anything decodes it: its
    first `SCANNED_BYTES`, all that is ever read for a message, in every encoding; the rest for
    the secrets written out."""
    if not secrets:
        return body
    head = scrub(body[:SCANNED_BYTES].decode("utf-8", "surrogateescape"), secrets)
    rest = body[SCANNED_BYTES:]
    for secret in _finder(tuple(secrets)).literals:
        rest = rest.replace(secret.encode("utf-8", "surrogatepass"), REDACTED.encode())
    return head.encode("utf-8", "surrogateescape") + rest


#: Bytes of a server's answer read for a message (`pusher.interpret`), and so scanned for
#: secrets in every encoding: enough for any real answer, and a bound on the work a hostile one
#: can cause.
SCANNED_BYTES: Final = 16_384
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
        text = self.text
        if markers.isdisjoint(text):
            return None
        pieces: list[tuple[str, int, int]] = []
        position = 0
        for match in escapes.finditer(text):
            start, end = match.span()
            if start > position:
                pieces.append((text[position:start], position, start))
            pieces.extend(_decode(match))
            position = end
        if not pieces:
            return None
        if position < len(text):
            pieces.append((text[position:], position, len(text)))
        return self._derived(pieces)

    def collapsed(self, spaces: re.Pattern[str]) -> _View:
        """This view with each run of white space (as `spaces` says) read as one space, the way
        a message is reflowed."""
        text = self.text
        pieces: list[tuple[str, int, int]] = []
        position = 0
        for match in spaces.finditer(text):
            start, end = match.span()
            if start > position:
                pieces.append((text[position:start], position, start))
            pieces.append((" ", start, end))
            position = end
        if position < len(text):
            pieces.append((text[position:], position, len(text)))
        return self._derived(pieces)


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


class _Finder:
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
            return self._runs(plain) + self._base64(plain)
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
            found += self._base64(view)
        return found

    def shows(self, text: str) -> bool:
        """Whether `scrub` would hide anything of `text`."""
        return self._written_out_in(text) or bool(self.spans(text))

    def shows_plainly(self, text: str) -> bool:
        """Whether `text` shows a secret, or a run of one, as written or in base64 (no escapes
        decoded): a look whose cost grows with the text alone, whatever it holds."""
        if self._written_out_in(text):
            return True
        if self.candidates is None:
            return False
        plain = _View(text)
        if self._runs(plain) or self._base64(plain):
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
def _finder(secrets: tuple[str, ...]) -> _Finder:
    return _Finder(secrets)


def _redact(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with each of `spans` (merged where they overlap or touch) replaced by ``***``."""
    if not spans:
        return text
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts: list[str] = []
    position = 0
    for start, end in merged:
        parts += (text[position:start], REDACTED)
        position = end
    parts.append(text[position:])
    return "".join(parts)


def _strings(value: Any) -> list[str]:
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


def shown_in(value: Any, secrets: Sequence[str]) -> bool:
    """Whether a JSON value (a server's parsed answer, about to be passed on) shows a run of a
    secret in any of its strings, keys included: what a reader of the value would see, one
    level of JSON escapes below its text. Its first `SCANNED_BYTES` characters are read in
    every encoding `scrub` knows, as an answer's are; all of it as written and in base64."""
    if not secrets:
        return False
    texts = _strings(value)
    if not texts:
        return False
    # One scan for all: the line breaks between them join no escape and no run of base64.
    text = "\n".join(texts)
    finder = _finder(tuple(secrets))
    if finder.shows(text[:SCANNED_BYTES]):
        return True
    return len(text) > SCANNED_BYTES and finder.shows_plainly(text)


def free_of(secrets: Sequence[str], inputs: Mapping[str, Any]) -> None:
    """Refuse inputs (other than those in `SECRET_HOLDERS`) that show a secret: written out, a
    run of `MIN_SCRUBBED` or more of its characters, or either in base64. It would be sent to
    Pusher's subscribers or quoted in a message, and a refusal made here comes before anything
    is published. (Escaped forms are not looked for here: decoding them costs several ms per
    KB of ordinary text with ``&`` or ``%`` in it, and an input the workflow wrote does not
    escape a secret by accident; answers, which a hostile server writes, are read in every
    encoding.) Walks nested data without recursion."""
    if not secrets:
        return
    finder = _finder(tuple(secrets))
    # The last input first, as the walk below takes values from the end.
    others = [(key, inputs[key]) for key in reversed(list(inputs)) if key not in SECRET_HOLDERS]
    # One look at every string first: inputs that show none, the usual, cost no more.
    texts = _strings([value for _, value in others])
    if not texts or not finder.shows_plainly("\n".join(texts)):
        return
    for key, value in others:
        texts = _strings(value)
        if texts and finder.shows_plainly("\n".join(texts)):
            # Where: the string that shows it, or the input itself when none does alone (a
            # secret with white space, reflowed across two strings).
            raise InputError(_where_shown(finder, str(key), value) or str(key), _SHOWS_ONE)


_SHOWS_ONE: Final = (
    "holds the app secret, the proxy password or the encryption master key, or 8 or more "
    "characters in a row of one (written out or in base64), which must never be published or "
    "shown; nothing was sent"
)


def _where_shown(finder: _Finder, name: str, value: Any) -> str | None:
    """The place in `value` (the input `name`) of a string that shows a secret, or None."""
    # Where each value sits is kept as a chain (`_Where`), written out only when found:
    # naming every nested value up front was most of the cost of inputs that hold none.
    stack: list[tuple[Any, _Where]] = [(value, name)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if len(item) >= MIN_SCRUBBED and finder.shows_plainly(item):
                return _written(where)
        elif isinstance(item, dict):
            for key, member in item.items():
                stack.append((key, (_A_KEY, where, None)))
                if isinstance(key, str) and not (
                    len(key) >= MIN_SCRUBBED and finder.shows_plainly(key)
                ):
                    stack.append((member, (_MEMBER, where, key)))
                else:
                    stack.append((member, where))
        elif isinstance(item, list | tuple):
            stack.extend((member, (_ITEM, where, index)) for index, member in enumerate(item))
    return None


#: Where a value sits: an input's name, or (how, the container's place, the member's key or
#: index).
_Where = str | tuple[int, "_Where", Any]
_A_KEY, _MEMBER, _ITEM = 0, 1, 2


def _written(where: _Where) -> str:
    """`where` as a message names it: ``data.user`` , ``channels[2]``, ``data (a key)``."""
    suffixes: list[str] = []
    while not isinstance(where, str):
        how, where, part = where
        suffixes.append(
            " (a key)" if how == _A_KEY else f".{part}" if how == _MEMBER else f"[{part}]"
        )
    return where + "".join(reversed(suffixes))
