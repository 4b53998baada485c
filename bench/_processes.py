"""The processes of a service measurement: the engine stand-in, the service under test (``serve``
or the null service), the local Pusher server. Each is a child started here and stopped by PID.

The stand-in and the local server print their addresses on standard output; the service logs
``listening for tasks`` once its ``ListenTask`` stream is open, which is when it counts as ready.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

CLI = (sys.executable, "-m", "mesg_pusher.cli")
START_SECONDS = 20.0
READY_LINE = "listening for tasks"


@dataclass(frozen=True)
class Engine:
    """Where a service finds the stand-in; `env`: the variables its release gives a service,
    when not the first generation's two (MESG_TOKEN and MESG_ENDPOINT_TCP)."""

    endpoint: str
    token: str
    pid: int
    env: Mapping[str, str] | None = None


@dataclass(frozen=True)
class LocalPusher:
    host: str
    port: int
    app_id: str
    key: str
    secret: str


@dataclass
class Service:
    process: subprocess.Popen[bytes]
    log: Path
    started: float  # time.monotonic() just before the process was started

    @property
    def pid(self) -> int:
        return self.process.pid

    def ready_after(self, limit: float = START_SECONDS, line: str = READY_LINE) -> float:
        """Seconds from start to the ready log line (`line`); raises RuntimeError if it never
        comes."""
        deadline = self.started + limit
        while time.monotonic() < deadline:
            if line in self.log.read_text("utf-8", "replace"):
                return time.monotonic() - self.started
            if self.process.poll() is not None:
                raise RuntimeError(f"the service exited: {self.tail()}")
            time.sleep(0.002)
        raise RuntimeError(f"the service was not ready within {limit:g} s: {self.tail()}")

    def tail(self) -> str:
        lines = self.log.read_text("utf-8", "replace").strip().splitlines()
        return " | ".join(lines[-3:])


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _read_until(process: subprocess.Popen[bytes], pattern: re.Pattern[str], what: str) -> str:
    """Lines of the child's standard output until one matches; its first group."""
    assert process.stdout is not None
    deadline = time.monotonic() + START_SECONDS
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline().decode("utf-8", "replace")
        if not line:
            break
        seen.append(line.strip())
        found = pattern.search(line)
        if found:
            return found.group(1)
    raise RuntimeError(f"{what} did not start: {' | '.join(seen[-3:])}")


@contextlib.contextmanager
def engine() -> Iterator[Engine]:
    """The engine stand-in (``mesg-pusher engine``) on a free port of 127.0.0.1."""
    process = subprocess.Popen(
        [*CLI, "engine", "--port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        endpoint = _read_until(process, re.compile(r"MESG_ENDPOINT_TCP=(\S+)"), "the engine")
        token = _read_until(process, re.compile(r"MESG_TOKEN=(\S+)"), "the engine")
        yield Engine(endpoint, token, process.pid)
    finally:
        stop(process)


@contextlib.contextmanager
def local_pusher() -> Iterator[LocalPusher]:
    """The local Pusher server (``mesg-pusher local-server``) on a free port of 127.0.0.1."""
    process = subprocess.Popen(
        [*CLI, "local-server", "--host", "127.0.0.1", "--port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = _read_until(process, re.compile(r"listening on (\S+)"), "the local Pusher server")
        app = re.compile(r"App id: (\S+\s+key: \S+\s+secret: \S+)")
        fields = _read_until(process, app, "the local Pusher server").split()
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        yield LocalPusher("127.0.0.1", port, fields[0], fields[2], fields[4])
    finally:
        stop(process)


@contextlib.contextmanager
def service(
    argv: tuple[str, ...], at: Engine, env: Mapping[str, str] | None = None
) -> Iterator[Service]:
    """The service under test, connected to `at`, its log in a temporary file."""
    with tempfile.TemporaryDirectory(prefix="bench-service-") as folder:
        log = Path(folder, "service.log")
        given = at.env or {"MESG_TOKEN": at.token, "MESG_ENDPOINT_TCP": at.endpoint}
        variables = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MESG_")},
            **given,
            **(env or {}),
        }
        with log.open("wb") as sink:
            started = time.monotonic()
            process = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=sink,
                env=variables,
            )
        try:
            yield Service(process, log, started)
        finally:
            stop(process)


SERVE = (*CLI, "serve")
#: `serve` on uvloop, for the side-by-side measurement of the event loops: the standard policy
#: replaced before the command runs.
SERVE_UVLOOP = (
    sys.executable,
    "-c",
    "import asyncio, sys, uvloop; asyncio.set_event_loop_policy(uvloop.EventLoopPolicy()); "
    "from mesg_pusher.cli import main; sys.exit(main(['serve']))",
)
NULL_SERVICE = (sys.executable, "-m", "bench._null_service")
