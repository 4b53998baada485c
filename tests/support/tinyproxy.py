"""Debian's tinyproxy as a real forward proxy on 127.0.0.1, optionally asking for Basic auth."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import free_port, stop, wait_for_port


@dataclass
class Tinyproxy:
    port: int
    log_file: Path
    process: subprocess.Popen[bytes]

    def url(self, credentials: str | None = None) -> str:
        userinfo = f"{credentials}@" if credentials else ""
        return f"http://{userinfo}127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def stop(self) -> None:
        stop(self.process)


def start_tinyproxy(folder: Path, basic_auth: tuple[str, str] | None = None) -> Tinyproxy:
    binary = shutil.which("tinyproxy") or "/usr/bin/tinyproxy"
    if not Path(binary).exists():
        raise RuntimeError("tinyproxy is not installed: run scripts/install-test-deps")
    port = free_port()
    log_file = folder / f"tinyproxy-{port}.log"
    lines = [
        f"Port {port}",
        "Listen 127.0.0.1",
        "Allow 127.0.0.1",
        "Timeout 30",
        f'LogFile "{log_file}"',
        "LogLevel Connect",
        "MaxClients 50",
        "DisableViaHeader Yes",
    ]
    if basic_auth is not None:
        lines.append(f"BasicAuth {basic_auth[0]} {basic_auth[1]}")
    config = folder / f"tinyproxy-{port}.conf"
    config.write_text("\n".join(lines) + "\n")
    process = subprocess.Popen(
        [binary, "-d", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for_port(port, process)
    except Exception:
        stop(process)
        raise
    return Tinyproxy(port, log_file, process)
