"""What every measuring subprocess shares: its command line, the timed section and its report.

A worker warms up, then runs a bounded load (at most `count` operations, at most `seconds`),
and prints one JSON line: operations done, errors, wall time and the CPU time its own process
spent in that section (user + system, all threads, read with `getrusage`), plus any extra
figures (latency percentiles, memory) under ``extra``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Sample:
    count: int
    errors: int
    elapsed: float
    cpu: float
    extra: dict[str, float] = field(default_factory=dict)

    def json(self) -> str:
        return json.dumps(asdict(self))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def arguments(description: str, *, endpoint: bool = True) -> argparse.ArgumentParser:
    """The options every worker takes; `endpoint`: it is told where the HTTP sink listens."""
    parser = argparse.ArgumentParser(description=description)
    if endpoint:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=5000, help="most operations measured")
    parser.add_argument("--seconds", type=float, default=3.0, help="longest measured time")
    parser.add_argument("--warmup", type=int, default=300, help="operations before measuring")
    parser.add_argument("--concurrency", type=int, default=1, help="operations in flight")
    parser.add_argument(
        "--loop", choices=LOOPS, default="asyncio", help="the event loop to measure on"
    )
    return parser


#: The event loops a worker can run on.
LOOPS = ("asyncio", "uvloop")


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run `main` on the loop ``--loop`` names (the standard one by default)."""
    chosen = argparse.ArgumentParser(add_help=False)
    chosen.add_argument("--loop", choices=LOOPS, default="asyncio")
    loop = chosen.parse_known_args()[0].loop
    if loop == "uvloop":
        import uvloop  # noqa: PLC0415 - only the workers measuring it need it

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(main())
    else:
        asyncio.run(main())


class Counter:
    """The budget of one load: each loop takes one operation at a time until it runs out."""

    def __init__(self, count: int, deadline: float) -> None:
        self.left = count
        self.deadline = deadline
        self.done = 0
        self.errors = 0

    def take(self) -> bool:
        if self.left <= 0 or time.monotonic() >= self.deadline:
            return False
        self.left -= 1
        return True


async def run_async(
    operation: Callable[[], Awaitable[object]], count: int, seconds: float, concurrency: int
) -> tuple[int, int]:
    """`operation` run at most `count` times within `seconds`, `concurrency` at once."""
    counter = Counter(count, time.monotonic() + seconds)

    async def loop() -> None:
        while counter.take():
            try:
                await operation()
            except Exception:
                counter.errors += 1
            else:
                counter.done += 1

    await asyncio.gather(*(loop() for _ in range(concurrency)))
    return counter.done, counter.errors


async def measure_async(
    operation: Callable[[], Awaitable[object]], args: argparse.Namespace
) -> Sample:
    await run_async(operation, args.warmup, args.seconds, args.concurrency)
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    done, errors = await run_async(operation, args.count, args.seconds, args.concurrency)
    return Sample(done, errors, time.perf_counter() - t0, cpu_seconds() - cpu0)


def report(sample: Sample) -> None:
    sys.stdout.write(sample.json() + "\n")
    sys.stdout.flush()
