"""Runs measuring workers as subprocesses, interleaved round by round, and collects their lines.

Each measurement gets a fresh process, so one case's warm caches and open connections do not help
another; rounds go A B C, A B C, ... so a slow spell of the shared machine hits every case alike.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Case:
    """One thing measured. `argv` may hold ``{name}`` fields filled from the run's values."""

    key: str
    group: str
    label: str
    argv: tuple[str, ...]
    timeout: float = 60.0
    notes: str = ""
    tags: tuple[str, ...] = field(default=())


Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def run_once(case: Case, values: Mapping[str, str]) -> dict[str, Any]:
    """The worker's JSON report, or ``{"error": ...}`` if it failed or said nothing."""
    argv = [part.format(**values) for part in case.argv]
    load = os.getloadavg()[0]  # other work on the shared machine shows here
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=case.timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"no answer within {case.timeout:g} s"}
    except OSError as error:
        return {"error": f"could not start {argv[0]}: {error.strerror}"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"error": f"exit {done.returncode}: " + " | ".join(tail)}
    report: dict[str, Any] = json.loads(lines[-1])
    report.setdefault("extra", {})["load1"] = load
    return report


def run_rounds(
    cases: Sequence[Case],
    rounds: int,
    values: Mapping[str, str],
    progress: Progress = _quiet,
) -> dict[str, list[dict[str, Any]]]:
    """Every case once per round, in order, `rounds` times; the reports per case key."""
    results: dict[str, list[dict[str, Any]]] = {case.key: [] for case in cases}
    for number in range(1, rounds + 1):
        for case in cases:
            started = time.monotonic()
            report = run_once(case, values)
            results[case.key].append(report)
            took = time.monotonic() - started
            shown = report.get("error") or _brief(report)
            progress(f"round {number}/{rounds}  {case.label:<48} {shown}  ({took:.1f} s)")
    return results


def _brief(report: Mapping[str, Any]) -> str:
    count, elapsed, cpu = report.get("count", 0), report.get("elapsed", 0), report.get("cpu", 0)
    if not count or not elapsed:
        return "no operation done"
    return f"{count / elapsed:,.0f}/s, {1000 * cpu / count:.3f} ms CPU each"


def python() -> str:
    return sys.executable
