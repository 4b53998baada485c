"""Names loaded on first use: the heavy modules wait until a name of theirs is asked for."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mesg_pusher._json import dumps
from mesg_pusher._lazy import lazy_attributes


def test_a_name_comes_from_its_module_and_an_unknown_one_is_an_attribute_error() -> None:
    attributes = lazy_attributes("mesg_pusher", {"dumps": "_json"})
    assert attributes("dumps") is dumps
    with pytest.raises(AttributeError, match="'mesg_pusher' has no attribute 'nope'"):
        attributes("nope")


def test_the_command_line_loads_neither_grpc_nor_aiohttp_until_asked() -> None:
    code = (
        "import sys, mesg_pusher.cli, mesg_pusher.engine as e, mesg_pusher.local_server as l\n"
        "print('grpc' in sys.modules, 'aiohttp' in sys.modules)\n"
        "e.EngineServer, l.LocalServer\n"
        "print('grpc' in sys.modules, 'aiohttp' in sys.modules)\n"
    )
    printed = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    assert printed.split("\n")[:2] == ["False False", "True True"]
