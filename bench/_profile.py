"""``python -m bench._profile``: where serve's CPU goes per execution, by module.

It runs the saturation case (the engine stand-in of this process originating executions, serve
publishing to the nginx sink), samples serve with py-spy (without pausing it) while the load
runs, and prints a markdown table: each module's share of serve's samples, and that share of
serve's measured CPU per execution in milliseconds. A sample is charged to the module of its
innermost Python frame, so time inside a C extension counts for the module that called it (gRPC's
C core for ``grpc.aio._call``). The samples go to a temporary file, removed afterwards.

    .venv/bin/python -m bench._profile                 # serve -> nginx, 6 s
    .venv/bin/python -m bench._profile --target none   # the null service, for comparison
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from . import _drivers, _nginx, _proc, _processes, _service, _service_cases

#: Where installed, project and standard modules live, in that order of precedence; what
#: follows is the dotted module name.
_ROOTS = (re.compile(r".*/site-packages/"), re.compile(r".*/src/"), re.compile(r".*/python3\.\d+/"))
#: A thread whose innermost Python frame is its start: its work is all native, which in serve
#: is gRPC's completion-queue poller.
POLLER = "grpc poller thread (native)"
_FRAME = re.compile(r"^(?P<function>.*) \((?P<path>[^()]*)\)$")
#: Modules grouped under one name in the short table.
GROUPS = (
    ("mesg_pusher.", 2),  # mesg_pusher.runtime, mesg_pusher.pusher, ...
    ("grpc.", 1),
    ("asyncio.", 1),
    ("logging.", 1),
    ("json.", 1),
)

#: What a row of the table is: a group of modules, a module, or a function.
BY = ("group", "module", "function")


@dataclass(frozen=True)
class Share:
    name: str
    samples: int
    fraction: float
    ms_per_execution: float


def module_of(path: str) -> str:
    """The dotted module of a py-spy frame's file (``threading`` for .../threading.py)."""
    tail = path
    for root in _ROOTS:
        if root.match(path):
            tail = root.sub("", path, count=1)
            break
    tail = tail.removesuffix(".py").removesuffix("/__init__")
    return tail.strip("/").replace("/", ".") or path


def group_of(module: str) -> str:
    for prefix, depth in GROUPS:
        if module.startswith(prefix) or module == prefix.rstrip("."):
            return ".".join(module.split(".")[:depth])
    return module


def leaf_frames(
    raw: Iterable[str], *, owner: str | None = None
) -> collections.Counter[tuple[str, str]]:
    """Samples by their innermost frame's module and function, from py-spy's raw (collapsed)
    lines: frames joined by ``;``, then a space and the count. With `owner` (a module prefix),
    a sample is charged to its innermost frame of a module under `owner` instead, when it has
    one: what the library does on our behalf counts for the function that asked."""
    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    for line in raw:
        stack, _, number = line.rstrip("\n").rpartition(" ")
        if not stack or not number.isdigit():
            continue
        frames = stack.split(";")
        module, function = _frame(frames[-1])
        if owner is not None:
            for text in reversed(frames):
                mine = _frame(text)
                if mine[0].startswith(owner):
                    module, function = mine
                    break
        counts[module, function] += int(number)
    return counts


def _frame(text: str) -> tuple[str, str]:
    frame = _FRAME.match(text)
    if frame is None:
        return "(native)", ""
    module, function = module_of(frame.group("path")), frame.group("function")
    if module == "threading" and function == "Thread.run":
        module = POLLER
    return module, function


def shares(counts: Mapping[tuple[str, str], int], cpu_ms: float, by: str = "group") -> list[Share]:
    """`counts` (by module and function) as shares of `cpu_ms`, the CPU per execution, largest
    first; `by` one of `BY`."""
    grouped: collections.Counter[str] = collections.Counter()
    for (module, function), number in counts.items():
        grouped[_row_name(by, module, function)] += number
    total = sum(grouped.values())
    if not total:
        return []
    return [
        Share(name, number, number / total, cpu_ms * number / total)
        for name, number in grouped.most_common()
    ]


def _row_name(by: str, module: str, function: str) -> str:
    if by == "group":
        return group_of(module)
    if by == "function" and function:
        return f"{module}: {function}"
    return module


def table(rows: list[Share], top: int) -> str:
    shown, rest = rows[:top], rows[top:]
    lines = ["| Module | Share of samples | CPU ms per execution |", "| --- | ---: | ---: |"]
    lines += [f"| {r.name} | {r.fraction:.1%} | {r.ms_per_execution:.3f} |" for r in shown]
    if rest:
        fraction = sum(r.fraction for r in rest)
        ms = sum(r.ms_per_execution for r in rest)
        lines.append(f"| {len(rest)} others | {fraction:.1%} | {ms:.3f} |")
    return "\n".join(lines)


async def _profile(args: argparse.Namespace, port: int, out: Path, spy: str) -> tuple[int, float]:
    """Executions answered while sampled, and serve's CPU seconds meanwhile."""
    argv = {
        "none": _processes.NULL_SERVICE,
        "publish": (*_processes.NULL_SERVICE, "--publish", f"127.0.0.1:{port}"),
    }.get(args.target, _processes.SERVE)
    text = _drivers.inputs("127.0.0.1", port, ("1", "bench-key", "bench-secret"), args.inputs)
    async with _drivers.Origin(text, _drivers.CASES[args.inputs].task) as origin:
        with _processes.service(argv, origin.at) as service:
            await asyncio.to_thread(service.ready_after)
            await origin.start()
            await origin.probe()
            in_flight = _service_cases.SATURATION_IN_FLIGHT
            await _service.saturated(origin, in_flight, 2000, 3.0)
            sampler = await asyncio.create_subprocess_exec(
                spy, "record", "--pid", str(service.pid), "--duration", str(args.seconds),
                "--rate", str(args.rate), "--format", "raw", "--nonblocking",
                "--full-filenames", "--nolineno", "-o", str(out),
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )  # fmt: skip
            await asyncio.sleep(0.3)  # py-spy attaching
            cpu0, done0 = _proc.cpu_seconds(service.pid), len(origin.arrived)
            await _service.saturated(origin, in_flight, 10**6, args.seconds - 0.6)
            cpu, done = _proc.cpu_seconds(service.pid) - cpu0, len(origin.arrived) - done0
            async with asyncio.timeout(args.seconds + 30):
                _, problem = await sampler.communicate()
            if sampler.returncode != 0:
                raise RuntimeError(f"py-spy failed: {problem.decode(errors='replace').strip()}")
    return done, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench._profile", description=__doc__)
    parser.add_argument("--target", choices=("nginx", "none", "publish"), default="nginx")
    parser.add_argument(
        "--inputs", choices=sorted(_drivers.CASES), default=_drivers.TASK, help="what is executed"
    )
    parser.add_argument("--seconds", type=int, default=6, help="how long to sample")
    parser.add_argument("--rate", type=int, default=250, help="samples per second")
    parser.add_argument("--top", type=int, default=12, help="rows before 'others'")
    parser.add_argument("--by", choices=BY, default="group", help="rows by (default: group)")
    parser.add_argument(
        "--ours",
        action="store_true",
        help="charge a sample to its innermost mesg_pusher frame when it has one",
    )
    args = parser.parse_args(argv)
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if spy is None:
        print("py-spy is not installed (requirements/dev.txt has it)", file=sys.stderr)
        return 1
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as folder, _nginx.running() as sink:
        out = Path(folder, "samples.txt")
        done, cpu = asyncio.run(_profile(args, sink.port, out, spy))
        lines = out.read_text("utf-8", "replace").splitlines()
        counts = leaf_frames(lines, owner="mesg_pusher." if args.ours else None)
    cpu_ms = 1000 * cpu / done if done else float("nan")
    who = {
        "nginx": f"serve -> nginx sink, {args.inputs}",
        "none": "the null service",
        "publish": "the null service publishing to nginx",
    }[args.target]
    print(
        f"{who}, saturation: {done:,} executions in {args.seconds:g} s sampled, "
        f"{cpu_ms:.3f} ms of CPU each; {sum(counts.values()):,} samples "
        f"(run took {time.monotonic() - started:.0f} s)\n"
    )
    print(table(shares(counts, cpu_ms, args.by), args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
