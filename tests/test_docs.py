"""The pages that point into the code point at what is there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "mesg_pusher"
#: A module as the pages write one: `pusher/_limits.py`, `_secrets.py`.
_MODULE = re.compile(r"`((?:[a-z_]+/)*_?[a-z_0-9]+\.py)`")


def test_every_module_the_architecture_page_names_exists() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text("utf-8")
    named = set(_MODULE.findall(text))
    assert len(named) > 20  # the table of where each rule lives, at least
    missing = sorted(
        name for name in named if not (PACKAGE / name).is_file() and not (ROOT / name).is_file()
    )
    assert not missing, f"docs/architecture.md names modules that do not exist: {missing}"
