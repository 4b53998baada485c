"""Worker: executions through the whole service, from ``ExecuteTask`` to ``ListenResult``.

It starts the engine stand-in, the Pusher endpoint (the nginx sink given by the suite, or the
local Pusher server) and the service under test (``mesg-pusher serve``, or the null service for
the stand-in's own ceiling), then plays an application: at a fixed offered rate (open loop,
executions sent on a clock whatever the answers do) or at saturation (a fixed number of
executions in flight, the next sent as each result arrives). Reported: results per second,
the service process's CPU per execution (read from /proc), latency percentiles, and how many
executions got no result or an ``error`` one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import time
from collections.abc import Iterator
from typing import Any

from grpc import aio

from mesg_pusher.mesg.protocol.core_pb2 import ExecuteTaskRequest, ListenResultRequest
from mesg_pusher.mesg.protocol.core_pb2_grpc import CoreStub

from . import _proc, _processes, _stats, _worker

#: How long results of the measured executions are awaited after the last one was sent.
DRAIN_SECONDS = 5.0
PROBE_TRIES = 100


_LOGGED = re.compile(r"execution_id=(\S+).*?duration_ms=([0-9.]+)")


def _in_service_ms(log: str, ids: list[str]) -> list[float]:
    """Each measured execution's time inside serve, from its log line (``duration_ms``: from
    the task's arrival to the result submitted); none for the null service."""
    durations = {m.group(1): float(m.group(2)) for m in _LOGGED.finditer(log)}
    return [durations[i] for i in ids if i in durations]


def inputs(host: str, port: int, app: tuple[str, str, str]) -> str:
    app_id, key, secret = app
    return json.dumps(
        {
            "appId": app_id,
            "key": key,
            "secret": secret,
            "host": host,
            "port": port,
            "keepAlive": True,
            "timeout": 10_000,
            "channel": "bench-channel",
            "name": "bench-event",
            "data": {"message": "hello", "count": 1},
        }
    )


class Application:
    """The engine's client side: sends executions and timestamps their results."""

    def __init__(self, endpoint: str, token: str, input_data: str) -> None:
        self._channel = aio.insecure_channel(endpoint)
        self._stub = CoreStub(self._channel)
        self._request = ExecuteTaskRequest(serviceID=token, taskKey="trigger", inputData=input_data)
        self._token = token
        self.sent: dict[str, float] = {}
        self.arrived: dict[str, tuple[float, str]] = {}
        self._waiters: dict[str, asyncio.Future[None]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        call = self._stub.ListenResult(ListenResultRequest(serviceID=self._token))
        with contextlib.suppress(aio.AioRpcError):
            await asyncio.wait_for(call.initial_metadata(), 5)
        self._reader = asyncio.create_task(self._read(call))

    async def _read(self, call: Any) -> None:
        async for result in call:
            execution = result.executionID
            self.arrived[execution] = (time.perf_counter(), result.outputKey)
            waiter = self._waiters.pop(execution, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    async def execute(self) -> str:
        started = time.perf_counter()
        reply = await self._stub.ExecuteTask(self._request, timeout=10)
        self.sent[reply.executionID] = started
        return str(reply.executionID)

    async def result(self, execution: str, within: float) -> bool:
        """Whether `execution`'s result arrives within `within` seconds."""
        if execution in self.arrived:
            return True
        waiter = asyncio.get_running_loop().create_future()
        self._waiters[execution] = waiter
        try:
            await asyncio.wait_for(waiter, within)
        except TimeoutError:
            self._waiters.pop(execution, None)
            return False
        return True

    async def probe(self) -> None:
        """Until one execution comes back: the stand-in drops those made before the service
        subscribed, so readiness is proven by a result."""
        for _ in range(PROBE_TRIES):
            if await self.result(await self.execute(), 0.2):
                return
        raise RuntimeError("no execution came back: the service never took tasks")

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, aio.AioRpcError):
                await self._reader
        await self._channel.close(None)


async def at_rate(app: Application, rate: float, count: int, seconds: float) -> list[str]:
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


async def saturated(app: Application, in_flight: int, count: int, seconds: float) -> list[str]:
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
    argv = _processes.NULL_SERVICE if args.target == "none" else _processes.SERVE
    with (
        pusher_endpoint(args) as (host, port, app_credentials),
        _processes.engine() as engine,
        _processes.service(argv, engine) as service,
    ):
        ready = service.ready_after()
        app = Application(engine.endpoint, engine.token, inputs(host, port, app_credentials))
        await app.start()
        try:
            await app.probe()
            if args.rate:
                await at_rate(app, args.rate, args.warmup, args.seconds)
            else:
                await saturated(app, args.concurrency, args.warmup, args.seconds)
            cpu0, t0 = _proc.cpu_seconds(service.pid), time.perf_counter()
            if args.rate:
                ids = await at_rate(app, args.rate, args.count, args.seconds)
            else:
                ids = await saturated(app, args.concurrency, args.count, args.seconds)
            answered = [i for i in ids if i in app.arrived]
            last = max((app.arrived[i][0] for i in answered), default=time.perf_counter())
            elapsed, cpu = last - t0, _proc.cpu_seconds(service.pid) - cpu0
            latencies = [1000 * (app.arrived[i][0] - app.sent[i]) for i in answered]
            errors = sum(1 for i in answered if app.arrived[i][1] != "success")
            in_service = _in_service_ms(service.log.read_text("utf-8", "replace"), ids)
        finally:
            await app.close()
    extra = {
        "offered": float(args.rate) if args.rate else float("nan"),
        "p50_ms": _stats.percentile(latencies, 0.50),
        "p99_ms": _stats.percentile(latencies, 0.99),
        "unanswered": float(len(ids) - len(answered)),
        "ready_s": ready,
        "in_service_p50_ms": _stats.percentile(in_service, 0.50),
        "in_service_p99_ms": _stats.percentile(in_service, 0.99),
    }
    return _worker.Sample(len(answered), errors, elapsed, cpu, extra)


def main() -> None:
    parser = _worker.arguments(__doc__ or "")
    parser.add_argument("--target", choices=("nginx", "local", "none"), default="nginx")
    parser.add_argument("--rate", type=float, default=0.0, help="executions/s; 0: saturation")
    args = parser.parse_args()
    _worker.report(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
