"""The package's public surface is explicit, sorted and importable, and it stays pure."""

from __future__ import annotations

import ast
from pathlib import Path

import mesg_pusher.webhooks as webhooks

PACKAGE = Path(webhooks.__file__).parent


def test_all_is_sorted_and_complete() -> None:
    assert webhooks.__all__ == sorted(webhooks.__all__, key=lambda n: (not n.isupper(), n))
    for name in webhooks.__all__:
        assert getattr(webhooks, name) is not None


def test_the_core_does_no_io_and_reads_no_clock() -> None:
    forbidden = {"asyncio", "aiohttp", "grpc", "socket", "time", "datetime", "random", "os"}
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = {node.module.split(".")[0]}
            else:
                continue
            assert not names & forbidden, f"{path.name} imports {names & forbidden}"
