"""Worker: executions through the whole service, from the engine stand-in and back.

It starts the Pusher endpoint (the nginx sink given by the suite, or the local Pusher server),
the engine stand-in and the service under test (``mesg-pusher serve``, or the null service, the
floor), then drives executions (``_drivers.py``: an application through ``mesg-pusher engine``,
or the stand-in in this process originating them): at a fixed offered rate (open loop,
executions sent on a clock whatever the answers do) or at saturation (a fixed number of
executions in flight, the next sent as each result arrives). Reported: results per second, the
service process's CPU per execution and the cores it kept busy (read from /proc), the
stand-in's CPU per execution, latency percentiles, and how many executions got no result or an
``error`` one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import math
import re
import time
from collections.abc import Iterator
from typing import Protocol

from . import _proc, _processes, _stats, _worker
from ._drivers import CASES, TASK, Application, Origin, inputs
from ._worker import cpu_seconds

#: How long results of the measured executions are awaited after the last one was sent.
DRAIN_SECONDS = 5.0


_LOGGED = re.compile(r"execution_id=(\S+).*?duration_ms=([0-9.]+)")


def _in_service_ms(log: str, ids: list[str]) -> list[float]:
    """Each measured execution's time inside serve, from its log line (``duration_ms``: from
    the task's arrival to the result submitted); none for the null service."""
    durations = {m.group(1): float(m.group(2)) for m in _LOGGED.finditer(log)}
    return [durations[i] for i in ids if i in durations]


class Driver(Protocol):
    """What the load needs of a driver (see ``_drivers.py``)."""

    sent: dict[str, float]
    arrived: dict[str, tuple[float, str]]

    async def execute(self) -> str: ...
    async def result(self, execution: str, within: float) -> bool: ...


async def at_rate(app: Driver, rate: float, count: int, seconds: float) -> list[str]:
    """Open loop: one execution every 1/`rate` s, on the clock; the ids sent."""
    total = max(1, min(count, int(rate * seconds)))
    start = time.perf_counter()
    sending: list[asyncio.Task[str]] = []
    for number in range(total):
        delay = start + number / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sending.append(asyncio.create_task(app.execute()))
    done = await asyncio.gather(*sending, return_exceptions=True)
    ids = [d for d in done if isinstance(d, str)]
    await asyncio.gather(*(app.result(i, DRAIN_SECONDS) for i in ids))
    return ids


async def saturated(app: Driver, in_flight: int, count: int, seconds: float) -> list[str]:
    """Closed loop: `in_flight` executions out at once, a new one as each result arrives."""
    counter = _worker.Counter(count, time.monotonic() + seconds)
    ids: list[str] = []

    async def loop() -> None:
        while counter.take():
            execution = await app.execute()
            ids.append(execution)
            if not await app.result(execution, DRAIN_SECONDS):
                return

    await asyncio.gather(*(loop() for _ in range(in_flight)), return_exceptions=True)
    return ids


@contextlib.contextmanager
def pusher_endpoint(args: argparse.Namespace) -> Iterator[tuple[str, int, tuple[str, str, str]]]:
    if args.target == "local":
        with _processes.local_pusher() as server:
            yield server.host, server.port, (server.app_id, server.key, server.secret)
    else:
        yield args.host, args.port, ("1", "bench-key", "bench-secret")


async def run(args: argparse.Namespace) -> _worker.Sample:
    async with contextlib.AsyncExitStack() as stack:
        host, port, app_credentials = stack.enter_context(pusher_endpoint(args))
        argv: tuple[str, ...] = _processes.SERVE
        env: dict[str, str] = {}
        if args.loop == "uvloop":
            argv = _processes.SERVE_UVLOOP
        if args.scheme == "https":
            port = args.tls_port
            env["SSL_CERT_FILE"] = args.ca  # how serve is told to trust a private CA
        if args.target == "none":
            argv = _processes.NULL_SERVICE
        elif args.target == "publish":
            argv = (*_processes.NULL_SERVICE, "--publish", f"{host}:{port}")
        input_data = inputs(host, port, app_credentials, args.inputs, tls=args.scheme == "https")
        task = CASES[args.inputs].task
        app: Application | Origin
        if args.driver == "standin":
            app = await stack.enter_async_context(Origin(input_data, task, args.engine))
            at = app.at
        else:
            at = stack.enter_context(_processes.engine())
            app = Application(at, input_data, task)
            stack.push_async_callback(app.close)
        service = stack.enter_context(_processes.service(argv, at, env))
        # In a thread: the stand-in may be served from this loop.
        ready = await asyncio.to_thread(service.ready_after)
        await app.start()
        await app.probe()
        load = (
            functools.partial(at_rate, app, args.rate)
            if args.rate
            else functools.partial(saturated, app, args.concurrency)
        )
        await load(args.warmup, args.seconds)
        cpu0, standin0, own0 = _proc.cpu_seconds(service.pid), app.standin_cpu(), cpu_seconds()
        t0 = time.perf_counter()
        ids = await load(args.count, args.seconds)
        answered = [i for i in ids if i in app.arrived]
        last = max((app.arrived[i][0] for i in answered), default=time.perf_counter())
        elapsed, cpu = last - t0, _proc.cpu_seconds(service.pid) - cpu0
        standin, own = app.standin_cpu() - standin0, cpu_seconds() - own0
        latencies = [1000 * (app.arrived[i][0] - app.sent[i]) for i in answered]
        errors = sum(1 for i in answered if app.arrived[i][1] != "success")
        in_service = _in_service_ms(service.log.read_text("utf-8", "replace"), ids)
    per = 1000 / len(answered) if answered else math.nan
    extra = {
        "offered": float(args.rate) if args.rate else math.nan,
        "p50_ms": _stats.percentile(latencies, 0.50),
        "p99_ms": _stats.percentile(latencies, 0.99),
        "unanswered": float(len(ids) - len(answered)),
        "ready_s": ready,
        "in_service_p50_ms": _stats.percentile(in_service, 0.50),
        "in_service_p99_ms": _stats.percentile(in_service, 0.99),
        "service_cores": cpu / elapsed if elapsed > 0 else math.nan,
        "standin_cpu_ms": standin * per,
        # The application's own CPU; the in-process stand-in's is all in standin_cpu_ms.
        "driver_cpu_ms": own * per if args.driver == "app" else math.nan,
    }
    return _worker.Sample(len(answered), errors, elapsed, cpu, extra)


def main() -> None:
    parser = _worker.arguments(__doc__ or "")
    parser.add_argument(
        "--target",
        choices=("nginx", "local", "none", "publish"),
        default="nginx",
        help="serve to nginx or the local server; the null service, or it publishing to nginx",
    )
    parser.add_argument("--rate", type=float, default=0.0, help="executions/s; 0: saturation")
    parser.add_argument(
        "--driver",
        choices=("app", "standin"),
        default="app",
        help="app: an application through `mesg-pusher engine`; standin: the stand-in here",
    )
    parser.add_argument(
        "--inputs", choices=sorted(CASES), default=TASK, help="the task and inputs executed"
    )
    parser.add_argument("--scheme", choices=("http", "https"), default="http")
    parser.add_argument("--tls-port", type=int, default=0, help="the sink's HTTPS port")
    parser.add_argument("--ca", default="", help="the CA file serve trusts (https)")
    parser.add_argument(
        "--engine",
        default="",
        help="the engine release of the in-process stand-in (default: v0.2, the first "
        "generation); serve finds its protocol from the variables it gives",
    )
    args = parser.parse_args()
    _worker.report(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
