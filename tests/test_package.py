"""The package a user installs: ``python -m build`` makes an sdist and, from it, a wheel that
``twine check`` accepts; the wheel, installed in a fresh virtualenv with the locked runtime
dependencies only, runs ``local-server``, ``execute``, ``engine`` and ``serve`` away from this
checkout."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pusher as official_sdk
import pusher.errors
import pytest

import mesg_pusher
from mesg_pusher.engine import CoreClient
from mesg_pusher.local_server import DEFAULT_APP

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent
NAME = f"mesg_pusher-{mesg_pusher.__version__}"
WAIT = 60  # seconds for any one step; a loaded machine is slow, a stuck one is a failure
#: What the wheel must carry besides the Python modules.
DATA_FILES = (
    "mesg_pusher/mesg.yml",
    "mesg_pusher/py.typed",
    "mesg_pusher/local_server/static/debug.html",
    "mesg_pusher/mesg/protocol/core.proto",
    "mesg_pusher/mesg/protocol/service.proto",
    *(f"mesg_pusher/mesg/protocol/v0_{n}.proto" for n in (10, 11, 12, 14, 17, 21)),
)


@dataclass(frozen=True)
class Dist:
    sdist: Path
    wheel: Path


@dataclass(frozen=True)
class Installed:
    bin: Path
    home: Path  # a directory away from the checkout, where the commands run

    def command(self, *args: str) -> list[str]:
        return [str(self.bin / "mesg-pusher"), *args]


def _run(args: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=WAIT * 3, check=False
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done


def _clean_env() -> dict[str, str]:
    """This environment without what would reach back into the checkout or its virtualenv."""
    dropped = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    return {
        k: v
        for k, v in os.environ.items()
        if k not in dropped and not k.startswith(("MESG_", "GRPC_"))
    }


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    out = tmp_path_factory.mktemp("dist")
    # Without --sdist/--wheel, build makes the sdist and then the wheel from the sdist alone.
    _run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)])
    return Dist(out / f"{NAME}.tar.gz", out / f"{NAME}-py3-none-any.whl")


@pytest.fixture(scope="module")
def installed(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    venv = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", str(venv)])
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    runtime = ROOT / "requirements" / "runtime.txt"
    _run([*pip, "install", "--no-deps", "-r", str(runtime)])  # hashed: a lock of its own
    _run([*pip, "install", "--no-deps", str(dist.wheel)])
    # The wheel's declared dependencies are all met by the lock alone.
    _run([*pip, "check"])
    home = tmp_path_factory.mktemp("home")
    return Installed(venv / "bin", home)


def test_twine_accepts_the_wheel_and_the_sdist(dist: Dist) -> None:
    done = _run(
        [sys.executable, "-m", "twine", "check", "--strict", str(dist.sdist), str(dist.wheel)]
    )
    assert done.stdout.count("PASSED") == 2, done.stdout


def test_the_wheel_carries_the_data_files_and_the_readme(dist: Dist) -> None:
    with zipfile.ZipFile(dist.wheel) as wheel:
        names = set(wheel.namelist())
        metadata = wheel.read(f"{NAME}.dist-info/METADATA").decode("utf-8")
        entry_points = wheel.read(f"{NAME}.dist-info/entry_points.txt").decode("utf-8")
    missing = [name for name in DATA_FILES if name not in names]
    assert not missing, f"the wheel lacks {missing}"
    assert not [name for name in names if "__pycache__" in name or name.startswith("tests/")]
    assert "Description-Content-Type: text/markdown" in metadata
    readme = (ROOT / "README.md").read_text("utf-8")
    assert readme.strip() in metadata  # the README is the long description, whole
    assert "mesg-pusher = mesg_pusher.cli:main" in entry_points
    assert "License-Expression: MIT" in metadata
    assert f"{NAME}.dist-info/licenses/LICENSE" in names  # the text, not only its name


def test_the_sdist_carries_what_a_build_and_the_tests_need(dist: Dist) -> None:
    with tarfile.open(dist.sdist) as sdist:
        names = {name.removeprefix(f"{NAME}/") for name in sdist.getnames()}
    needed = [
        "pyproject.toml",
        "README.md",
        "LICENSE",
        "mesg.yml",
        "requirements/runtime.txt",
        "requirements/dev.txt",
        "tests/mesg/data/seed-README.md",
        *(f"src/{name}" for name in DATA_FILES),
    ]
    assert [name for name in needed if name not in names] == []
    assert not [name for name in names if "node_modules" in name or ".venv" in name]


def test_the_installed_package_is_the_wheel_not_this_checkout(installed: Installed) -> None:
    done = _run(
        [str(installed.bin / "python"), "-c", "import mesg_pusher; print(mesg_pusher.__file__)"],
        cwd=installed.home,
    )
    assert Path(done.stdout.strip()).is_relative_to(installed.bin.parent)
    version = _run(installed.command("--version"), cwd=installed.home)
    assert version.stdout.strip() == f"mesg-pusher {mesg_pusher.__version__}"


@asynccontextmanager
async def _started(
    installed: Installed, args: list[str], *, ready: str, env: dict[str, str] | None = None
) -> AsyncIterator[tuple[asyncio.subprocess.Process, list[str]]]:
    """An installed command, running until a line of its output (stdout and stderr together)
    contains `ready`; ended by its PID afterwards."""
    process = await asyncio.create_subprocess_exec(
        *installed.command(*args),
        cwd=installed.home,
        env={**_clean_env(), **(env or {})},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(WAIT):
            while not any(ready in line for line in lines):
                raw = await process.stdout.readline()
                if not raw:
                    pytest.fail(f"{args[0]} ended before it was ready: {lines}")
                lines.append(raw.decode().rstrip("\n"))
        yield process, lines
    finally:
        if process.returncode is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                async with asyncio.timeout(WAIT):
                    await process.communicate()
            except TimeoutError:
                os.kill(process.pid, signal.SIGKILL)
                await process.wait()


@asynccontextmanager
async def _local_server(installed: Installed) -> AsyncIterator[int]:
    args = ["local-server", "--port", "0"]
    async with _started(installed, args, ready="Debug console:") as (process, lines):
        found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", "\n".join(lines))
        assert found is not None, lines
        yield int(found.group(1))
        os.kill(process.pid, signal.SIGTERM)
        async with asyncio.timeout(WAIT):
            assert await process.wait() == 0


def _trigger_inputs(port: int) -> dict[str, object]:
    return {
        "appId": DEFAULT_APP.app_id,
        "key": DEFAULT_APP.key,
        "secret": DEFAULT_APP.secret,
        "host": "127.0.0.1",
        "port": port,
        "channel": "installed",
        "name": "checked",
        "data": {"from": "the wheel"},
    }


async def test_installed_local_server_answers_a_signed_request_and_execute_succeeds(
    installed: Installed,
) -> None:
    async with _local_server(installed) as port:
        client = official_sdk.Pusher(
            app_id=DEFAULT_APP.app_id,
            key=DEFAULT_APP.key,
            secret=DEFAULT_APP.secret,
            host="127.0.0.1",
            port=port,
            ssl=False,
        )
        # The official SDK signs the request; the local server checks it and accepts it.
        assert await asyncio.to_thread(client.trigger, "installed", "checked", {"a": 1}) == {}
        wrong = official_sdk.Pusher(
            app_id=DEFAULT_APP.app_id,
            key=DEFAULT_APP.key,
            secret="not-the-local-secret",
            host="127.0.0.1",
            port=port,
            ssl=False,
        )
        with pytest.raises(official_sdk.errors.PusherBadAuth):
            await asyncio.to_thread(wrong.trigger, "installed", "checked", {"a": 1})

        process = await asyncio.create_subprocess_exec(
            *installed.command("execute", "trigger", "--json", "-"),
            cwd=installed.home,
            env=_clean_env(),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        async with asyncio.timeout(WAIT):
            out, errors = await process.communicate(json.dumps(_trigger_inputs(port)).encode())
    assert process.returncode == 0, errors.decode()
    assert errors.decode() == "Task trigger returned output success with data:\n"
    assert json.loads(out) == {"message": "sent"}


async def test_installed_serve_answers_an_execution_from_the_installed_engine(
    installed: Installed,
) -> None:
    engine_args = ["engine", "--ready-header"]
    async with (
        _local_server(installed) as pusher_port,
        _started(installed, engine_args, ready="MESG_TOKEN=") as (_, engine_lines),
    ):
        variables = dict(line.split("=", 1) for line in engine_lines if line.startswith("MESG_"))
        assert set(variables) == {"MESG_ENDPOINT_TCP", "MESG_TOKEN"}, engine_lines
        # With the ready header, serve logs it once the engine holds its task stream.
        serving = _started(
            installed, ["serve"], ready="the engine reports the task stream ready", env=variables
        )
        async with (
            serving as (serve_process, _),
            CoreClient(variables["MESG_ENDPOINT_TCP"]) as client,
            client.results(variables["MESG_TOKEN"]) as results,
        ):
            token = variables["MESG_TOKEN"]
            execution = await client.execute(token, "trigger", _trigger_inputs(pusher_port))
            async with asyncio.timeout(WAIT):
                answer = (await results.wait_for([execution]))[execution]
            os.kill(serve_process.pid, signal.SIGTERM)
            async with asyncio.timeout(WAIT):
                assert await serve_process.wait() == 0
    assert answer.outputKey == "success", answer.outputData
    assert json.loads(answer.outputData) == {"message": "sent"}
