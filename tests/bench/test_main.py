"""``python -m bench`` installs the Node SDK only into a node_modules of its own checkout."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bench import __main__ as bench_main

LOCK = {
    "name": "bench-node",
    "lockfileVersion": 3,
    "packages": {
        "": {"name": "bench-node", "dependencies": {"pusher": "5.3.4"}},
        "node_modules/pusher": {"version": "5.3.4", "integrity": "sha512-x"},
    },
}


def _folder(tmp_path: Path, installed: dict[str, Any] | None) -> Path:
    folder = tmp_path / "node"
    folder.mkdir(parents=True)
    (folder / "package-lock.json").write_text(json.dumps(LOCK), "utf-8")
    if installed is not None:
        (folder / "node_modules").mkdir()
        hidden = {"name": "bench-node", "lockfileVersion": 3, "packages": installed}
        (folder / "node_modules" / ".package-lock.json").write_text(json.dumps(hidden), "utf-8")
    return folder


def test_installed_modules_are_those_the_lock_names(tmp_path: Path) -> None:
    packages = {"node_modules/pusher": {"version": "5.3.4", "integrity": "sha512-x"}}
    assert bench_main._installed(_folder(tmp_path / "a", packages))
    older = {"node_modules/pusher": {"version": "5.3.3", "integrity": "sha512-y"}}
    assert not bench_main._installed(_folder(tmp_path / "b", older))
    assert not bench_main._installed(_folder(tmp_path / "c", None))


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_a_linked_node_modules_is_never_reinstalled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "kept.js").write_text("// another checkout's module\n", "utf-8")
    folder = _folder(tmp_path, None)
    (folder / "node_modules").symlink_to(elsewhere)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"ran {args}")

    monkeypatch.setattr(subprocess, "run", refuse)
    assert bench_main._node_ready(folder) is None
    assert (elsewhere / "kept.js").exists()
