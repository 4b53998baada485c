"""docs/local-server.md lists every option of ``local-server`` and ``subscribe``, and every kind
of fault, as the commands define them."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from mesg_pusher.cli import build_parser
from mesg_pusher.local_server._config import APP_OPTIONS
from mesg_pusher.local_server._fault_injection import KINDS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "local-server.md").read_text("utf-8")


def options_of(command: str) -> list[str]:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sub = commands.choices[command]
    return [
        option
        for action in sub._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    ]


@pytest.mark.parametrize("command", ["local-server", "subscribe"])
def test_every_option_is_in_the_docs(command: str) -> None:
    options = options_of(command)
    assert len(options) > 3
    missing = [option for option in options if f"`{option}" not in DOC]
    assert missing == [], f"docs/local-server.md does not list {missing}"


def test_every_app_option_and_fault_kind_is_in_the_docs() -> None:
    missing = [name for name in (*APP_OPTIONS, *KINDS) if f"`{name}`" not in DOC]
    assert missing == []
