"""A short description of the machine and software a run measured on."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text("utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(argv: list[str]) -> str:
    if shutil.which(argv[0]) is None and not Path(argv[0]).exists():
        return "absent"
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    text = (done.stdout + done.stderr).strip().splitlines()
    return text[0] if text else "unknown"


def describe(node: str | None, nginx: str | None) -> dict[str, str]:
    cores = os.cpu_count() or 0
    python = platform.python_version()
    info = {
        "cpu": _cpu_model(),
        "cores": str(cores),
        "os": f"{platform.system()} {platform.release()}",
        "python": python,
        "aiohttp": metadata.version("aiohttp"),
        "grpcio": metadata.version("grpcio"),
        "node": _version([node, "--version"]) if node else "absent",
        "nginx": _version([nginx, "-v"]).replace("nginx version: ", "") if nginx else "absent",
    }
    info["summary"] = (
        f"{cores} cores ({info['cpu']}), Python {python}, aiohttp {info['aiohttp']}, "
        f"Node {info['node']}, {info['nginx']}"
    )
    return info
