"""The container, as far as it can be checked without a Docker daemon: what the Dockerfile
copies exists and survives .dockerignore, it runs as non-root with ``mesg-pusher serve``, its
dependencies are the locked ones, and the entry point runs."""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text("utf-8"))
    pairs = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            pairs.append((word.upper(), rest.strip()))
    return pairs


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    ignored = False
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        negated = pattern.startswith("!")
        body = pattern[1:] if negated else pattern
        body = body.rstrip("/")
        if body.startswith("**/"):
            hit = any(fnmatch.fnmatch(part, body[3:]) for part in parts)
        else:
            hit = any(fnmatch.fnmatch(candidate, body) for candidate in candidates)
        if hit:
            ignored = not negated
    return ignored


def _ignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text("utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_base_user_and_command() -> None:
    instructions = _instructions()
    assert instructions[0][0] == "FROM"
    assert re.fullmatch(r"python:3\.11[\w.-]*-slim[\w.-]*", instructions[0][1])
    users = [args for word, args in instructions if word == "USER"]
    assert users
    assert users[-1] not in ("root", "0")
    commands = [args for word, args in instructions if word == "CMD"]
    assert len(commands) == 1
    assert json.loads(commands[0]) == ["mesg-pusher", "serve"]


def test_dependencies_are_installed_from_the_lock_file_only() -> None:
    runs = " ".join(args for word, args in _instructions() if word == "RUN")
    assert "pip install --no-deps -r requirements/runtime.txt" in runs
    assert "pip check" in runs
    assert "pip install --no-deps ." in runs
    lock = (ROOT / "requirements" / "runtime.txt").read_text("utf-8")
    pins = {
        canonicalize_name(name): version
        for name, version in re.findall(r"^([A-Za-z0-9._-]+)==(\S+) ", lock, re.MULTILINE)
    }
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    for text in project["dependencies"]:
        requirement = Requirement(text)
        version = pins.get(canonicalize_name(requirement.name), "")
        assert version in requirement.specifier, f"{text} is not locked in runtime.txt"
    assert project["scripts"]["mesg-pusher"] == "mesg_pusher.cli:main"


def test_what_the_dockerfile_copies_exists_and_is_in_the_build_context() -> None:
    patterns = _ignore_patterns()
    sources = []
    for word, args in _instructions():
        if word == "COPY":
            *copied, _destination = args.split()
            sources += [s for s in copied if not s.startswith("--")]
    assert sources
    for source in sources:
        path = ROOT / source
        assert path.exists(), f"COPY {source}: no such file"
        files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
        for file in files:
            relative = file.relative_to(ROOT).as_posix()
            if "__pycache__" not in relative:
                assert not _ignored(relative, patterns), f"{relative} is left out by .dockerignore"


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        ".git/HEAD",
        "tests/conftest.py",
        "bench/__init__.py",
        "tests/node/node_modules/x.js",
        "src/mesg_pusher/__pycache__/cli.cpython-311.pyc",
        "artifacts/report.json",
    ],
)
def test_the_build_context_leaves_out_what_the_image_does_not_need(path: str) -> None:
    assert _ignored(path, _ignore_patterns())


def test_the_image_listens_for_webhooks_on_the_port_mesg_yml_declares() -> None:
    instructions = _instructions()
    envs = " ".join(args for word, args in instructions if word == "ENV")
    assert "MESG_PUSHER_WEBHOOK_LISTEN=0.0.0.0:3000" in envs.split()
    assert [args for word, args in instructions if word == "EXPOSE"] == ["3000"]
    definition = yaml.safe_load((ROOT / "mesg.yml").read_text("utf-8"))
    # Engines v0.1-v0.5 take only these keys there (v0.6 adds env).
    assert definition["configuration"] == {"ports": ["3000"]}


def test_the_package_ships_what_serve_reads() -> None:
    package = ROOT / "src" / "mesg_pusher"
    for name in ("mesg.yml", "py.typed"):
        assert (package / name).is_file()
    for name in ("service_pb2.py", "service_pb2_grpc.py", "core_pb2.py", "core_pb2_grpc.py"):
        assert (package / "mesg" / "protocol" / name).is_file()


def test_the_entry_point_runs_and_documents_every_variable() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mesg_pusher.cli", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for word in (
        "MESG_TOKEN",
        "MESG_ENDPOINT_TCP",
        "MESG_ENDPOINT",
        "MESG_PUSHER_MAX_IN_FLIGHT",
        "MESG_PUSHER_QUEUE_SIZE",
        "MESG_PUSHER_GRACE_PERIOD",
        "MESG_PUSHER_RECONNECT_MAX_DELAY",
        "MESG_PUSHER_SUBMIT_TIMEOUT",
        "MESG_PUSHER_LOG_FORMAT",
        "MESG_PUSHER_LOG_LEVEL",
        "MESG_PUSHER_MAX_HELD_BYTES",
        "MESG_PUSHER_WEBHOOK_LISTEN",
        "PUSHER_APP_KEY",
        "PUSHER_APP_SECRET",
        "PUSHER_URL",
        "--max-in-flight",
        "--queue-size",
        "--grace-period",
        "--log-format",
        "--log-level",
        "--webhook-listen",
        "SIGTERM",
    ):
        assert word in done.stdout
