"""The one way a text is cut where room is short, and the messages that quote a value cut."""

from __future__ import annotations

import pytest

from mesg_pusher import InputError
from mesg_pusher._text import ELLIPSIS, cut
from mesg_pusher.pusher import rules


@pytest.mark.parametrize(
    ("text", "keep", "shown"),
    [
        ("", 3, ""),
        ("abc", 3, "abc"),
        ("abcd", 3, "abc…"),
        ("abcd", 0, "…"),
    ],
)
def test_cut_keeps_its_first_characters_then_the_mark(text: str, keep: int, shown: str) -> None:
    assert cut(text, keep) == shown


def test_an_escape_writes_the_characters_kept_and_never_the_mark() -> None:
    def escape(text: str) -> str:
        return text.encode("unicode_escape").decode("ascii")

    assert cut("é\n", 2, escape) == "\\xe9\\n"
    assert cut("é\né", 2, escape) == "\\xe9\\n" + ELLIPSIS


def test_a_rule_quotes_a_long_value_cut_to_sixty_characters_escaped() -> None:
    with pytest.raises(InputError) as caught:
        rules.socket_id("é" * 100, "socket_id")
    quoted = '"' + "\\xe9" * 59 + ELLIPSIS + '"'
    assert str(caught.value).endswith(f"got {quoted}")
