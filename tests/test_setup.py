"""The set-up fits the job: `make demo` installs the runtime's lock and nothing of the checks'
toolchain; the lock files are compiled from their sources and pin every package with hashes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements"
_PINNED = re.compile(r"^([A-Za-z0-9._-]+)==\S+ \\$", re.MULTILINE)
_PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+) \\$", re.MULTILINE)


def _pins(name: str) -> dict[str, str]:
    text = (REQUIREMENTS / name).read_text("utf-8")
    return {_normal(found): version for found, version in _PIN.findall(text)}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.mark.parametrize("lock", ["runtime.txt", "dev.txt"])
def test_each_lock_names_its_source_and_how_to_regenerate_it_and_pins_with_hashes(
    lock: str,
) -> None:
    text = (REQUIREMENTS / lock).read_text("utf-8")
    assert "#    make lock\n" in text.split("\n\n")[0] + "\n"  # the command, at the top
    assert (REQUIREMENTS / lock.replace(".txt", ".in")).is_file()
    entries = [line for line in text.splitlines() if line and not line[0].isspace()]
    pinned = [line for line in entries if not line.startswith("#")]
    assert pinned, lock
    assert all(_PINNED.fullmatch(line) for line in pinned), pinned
    assert text.count("--hash=sha256:") >= len(pinned)


def test_the_checks_lock_holds_the_runtime_lock_at_the_same_versions() -> None:
    runtime, dev = _pins("runtime.txt"), _pins("dev.txt")
    assert {name: dev.get(name) for name in runtime} == runtime


@pytest.mark.slow
@pytest.mark.integration
def test_the_demos_set_up_installs_the_runtime_lock_and_not_the_test_toolchain(
    tmp_path: Path,
) -> None:
    venv = tmp_path / "venv"
    done = subprocess.run(
        ["make", "--no-print-directory", "demo-deps", f"VENV={venv}", f"PYTHON={sys.executable}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    listed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "list", "--format=json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    installed = {_normal(package["name"]) for package in json.loads(listed.stdout)}
    assert "pytest" not in installed
    assert installed - {"pip", "setuptools", "mesg-pusher"} == set(_pins("runtime.txt"))
