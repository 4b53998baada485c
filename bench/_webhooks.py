"""Worker: Pusher webhooks becoming MESG events, from a signed POST to the engine's ``EmitEvent``.

Each webhook carries one event (``channel_occupied`` of a channel of its own, so no two bodies
are alike and none is taken for a retry), signed with the app's secret as Pusher signs it. The
bodies and their requests are all made before the load starts, so the load costs little of its
own. Targets (``--target``):

- ``serve``: ``mesg-pusher serve`` as a process, posted to on its listener (``POST /webhooks``,
  keep-alive connections), with the engine stand-in served from this process;
- ``floor``: the bare aiohttp handler (``_webhook_floor.py``) in its place;
- ``receiver``: serve's webhook path without HTTP: a `Service` in this process, driven through
  `Service.receiver.receive`, with the stand-in in a process of its own (``mesg-pusher engine``);
- ``emit``: the ``EmitEvent`` calls alone, from this process, to that stand-in.

At a fixed offered rate (open loop) or at saturation (a fixed number of webhooks in flight).
Reported: events per second, the CPU per event of the process receiving the webhooks (for
``receiver`` and ``emit`` this one's), the other side's (the stand-in and the load), latency
from the request to its answer, and how many webhooks got no answer or one other than 200.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import logging
import math
import os
import re
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, Final

from grpc import aio

# The service's own log set-up, so that in process it logs as serve does.
from mesg_pusher._logs import configure
from mesg_pusher.engine import Engine, EngineServer
from mesg_pusher.mesg.protocol.service_pb2 import EmitEventReply, EmitEventRequest
from mesg_pusher.pusher import webhook_signature
from mesg_pusher.webhooks import KEY_HEADER, SIGNATURE_HEADER

from . import _floor, _proc, _processes, _service, _stats, _webhook_floor, _worker

APP_ID: Final = "1"
KEY: Final = "bench-key"
SECRET: Final = "bench-secret"
EVENT: Final = "channel_occupied"
#: Events in each webhook.
EVENTS_PER_WEBHOOK: Final = 1
#: Keep-alive connections of the load at a fixed rate (at saturation: one per webhook in flight).
RATE_CONNECTIONS: Final = 32
#: How long an answer is awaited (the receiver answers within 4 s).
ANSWER_SECONDS: Final = 10.0
_URL = re.compile(r"webhooks=http://([^:/\s]+):(\d+)(/\S*)")


def body(number: int, time_ms: int) -> bytes:
    """Webhook `number`'s body, as Pusher writes one: compact JSON."""
    events = [{"name": EVENT, "channel": f"bench-{number}-{n}"} for n in range(EVENTS_PER_WEBHOOK)]
    return json.dumps({"time_ms": time_ms, "events": events}, separators=(",", ":")).encode()


def post(host: str, port: int, path: str, data: bytes) -> bytes:
    """The whole HTTP request posting `data`, signed as Pusher signs a webhook."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"{KEY_HEADER}: {KEY}\r\n{SIGNATURE_HEADER}: {webhook_signature(SECRET, data)}\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    )
    return head.encode("ascii") + data


class _Load:
    """Webhooks numbered from 0, each sent once by `execute` (a driver of ``_service``'s loads:
    `execute` returns once the answer came; its status is in `arrived`, ``"success"`` for
    200)."""

    def __init__(self) -> None:
        self.sent: dict[str, float] = {}
        self.arrived: dict[str, tuple[float, str]] = {}
        self.number = 0

    async def _send(self, number: int) -> int:
        raise NotImplementedError

    async def execute(self) -> str:
        number, self.number = self.number, self.number + 1
        name = str(number)
        self.sent[name] = time.perf_counter()
        status = await self._send(number)
        self.arrived[name] = (time.perf_counter(), "success" if status == 200 else str(status))
        return name

    async def result(self, execution: str, within: float) -> bool:
        return execution in self.arrived


class Poster(_Load):
    """Posts the webhooks to ``host:port path`` on `connections` keep-alive connections."""

    def __init__(self, host: str, port: int, path: str, count: int, connections: int) -> None:
        super().__init__()
        self._address = (host, port)
        now_ms = int(time.time() * 1000)
        self._requests = [post(host, port, path, body(n, now_ms)) for n in range(count)]
        self._size = connections
        self._idle: asyncio.Queue[_floor._Exchange] = asyncio.Queue()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(self._size):
            _, connection = await loop.create_connection(_floor._Exchange, *self._address)
            self._idle.put_nowait(connection)

    async def _send(self, number: int) -> int:
        connection = await self._idle.get()
        try:
            return await asyncio.wait_for(connection.send(self._requests[number]), ANSWER_SECONDS)
        finally:
            self._idle.put_nowait(connection)

    def close(self) -> None:
        while not self._idle.empty():
            connection = self._idle.get_nowait()
            if connection.transport is not None:
                connection.transport.close()


class Receiving(_Load):
    """Hands the webhooks to `receive` (`Service.receiver.receive`) directly."""

    def __init__(self, receive: Any, count: int) -> None:
        super().__init__()
        now_ms = int(time.time() * 1000)
        self._bodies = [body(n, now_ms) for n in range(count)]
        self._signatures = [webhook_signature(SECRET, b) for b in self._bodies]
        self._receive = receive

    async def _send(self, number: int) -> int:
        answer = await self._receive(KEY, self._signatures[number], self._bodies[number])
        return int(answer.status)


class Emitting(_Load):
    """Makes each webhook's ``EmitEvent`` calls directly, as the floor makes them."""

    def __init__(self, emit: Any, token: str) -> None:
        super().__init__()
        self._emit = emit
        self._token = token
        self._time_ms = int(time.time() * 1000)

    async def _send(self, number: int) -> int:
        for n in range(EVENTS_PER_WEBHOOK):
            data = {"channel": f"bench-{number}-{n}", "app_key": KEY, "time_ms": self._time_ms}
            await self._emit(
                EmitEventRequest(
                    token=self._token,
                    eventKey=EVENT,
                    eventData=json.dumps(data, separators=(",", ":")),
                )
            )
        return 200


def _listening_at(log: str) -> tuple[str, int, str]:
    found = _URL.search(log)
    if found is None:
        raise RuntimeError(f"no webhook address in the log: {log[-300:]}")
    return found.group(1), int(found.group(2)), found.group(3)


@contextlib.asynccontextmanager
async def _over_http(args: argparse.Namespace, total: int) -> AsyncIterator[tuple[Poster, int]]:
    """The stand-in here, the receiver (serve or the floor) as a process: the load and the
    receiver's PID."""
    engine = Engine()
    async with EngineServer(engine) as server:
        at = _processes.Engine(server.address, engine.token, os.getpid())
        argv: tuple[str, ...] = _processes.SERVE
        ready = _processes.READY_LINE
        if args.target == "floor":
            argv, ready = (sys.executable, "-m", "bench._webhook_floor"), _webhook_floor.READY_LINE
        env = {
            "PUSHER_APP_ID": APP_ID,
            "PUSHER_APP_KEY": KEY,
            "PUSHER_APP_SECRET": SECRET,
            "MESG_PUSHER_WEBHOOK_LISTEN": "127.0.0.1:0",
        }
        with _processes.service(argv, at, env) as service:
            await asyncio.to_thread(functools.partial(service.ready_after, line=ready))
            host, port, path = _listening_at(service.log.read_text("utf-8", "replace"))
            connections = args.concurrency if not args.rate else RATE_CONNECTIONS
            poster = Poster(host, port, path, total, connections)
            await poster.start()
            try:
                yield poster, service.pid
            finally:
                poster.close()


@contextlib.asynccontextmanager
async def _in_process(args: argparse.Namespace, total: int) -> AsyncIterator[tuple[_Load, int]]:
    """The stand-in as a process of its own, the receiving side here: the load and the
    stand-in's PID."""
    from mesg_pusher.pusher import App  # noqa: PLC0415 - gRPC and the runtime load here
    from mesg_pusher.runtime import ServeConfig, Service  # noqa: PLC0415

    with _processes.engine() as at:
        if args.target == "emit":
            options = [("grpc.enable_retries", 0)]
            async with aio.insecure_channel(at.endpoint, options=options) as channel:
                emit = channel.unary_unary(
                    _webhook_floor.EMIT_EVENT,
                    request_serializer=EmitEventRequest.SerializeToString,
                    response_deserializer=EmitEventReply.FromString,
                )
                await channel.channel_ready()
                yield Emitting(emit, at.token), at.pid
            return
        # The service's log lines, written as serve writes them, to a file.
        with (
            tempfile.TemporaryDirectory(prefix="bench-webhooks-") as folder,
            open(Path(folder, "service.log"), "w", encoding="utf-8") as log,  # noqa: ASYNC230
        ):
            configure("text", "info", log)
            config = ServeConfig(endpoint=at.endpoint, token=at.token, webhook_listen="off")
            service = Service(config, apps=[App(APP_ID, KEY, SECRET)])
            stop = asyncio.Event()
            running = asyncio.create_task(service.run(stop))
            try:
                async with asyncio.timeout(_processes.START_SECONDS):
                    await service.listening.wait()
                yield Receiving(service.receiver.receive, total), at.pid
            finally:
                stop.set()
                await running
                logging.getLogger().handlers.clear()


async def run(args: argparse.Namespace) -> _worker.Sample:
    total = 1 + args.warmup + args.count
    side: contextlib.AbstractAsyncContextManager[tuple[_Load, int]]
    over_http = args.target in ("serve", "floor")
    side = _over_http(args, total) if over_http else _in_process(args, total)
    async with side as (load, pid):

        def receiver_cpu() -> float:
            return _proc.cpu_seconds(pid) if over_http else _worker.cpu_seconds()

        def other_cpu() -> float:
            return _worker.cpu_seconds() if over_http else _proc.cpu_seconds(pid)

        await load.execute()
        if load.arrived["0"][1] != "success":
            raise RuntimeError(f"the first webhook was answered {load.arrived['0'][1]}")
        measure = (
            functools.partial(_service.at_rate, load, args.rate)
            if args.rate
            else functools.partial(_service.saturated, load, args.concurrency)
        )
        await measure(args.warmup, args.seconds)
        cpu0, other0, t0 = receiver_cpu(), other_cpu(), time.perf_counter()
        ids = await measure(args.count, args.seconds)
        answered = [i for i in ids if i in load.arrived]
        last = max((load.arrived[i][0] for i in answered), default=time.perf_counter())
        elapsed, cpu, other = last - t0, receiver_cpu() - cpu0, other_cpu() - other0
    latencies = [1000 * (load.arrived[i][0] - load.sent[i]) for i in answered]
    refused = sum(1 for i in answered if load.arrived[i][1] != "success")
    events = (len(answered) - refused) * EVENTS_PER_WEBHOOK
    per = 1000 / events if events else math.nan
    extra = {
        "offered": float(args.rate) if args.rate else math.nan,
        "p50_ms": _stats.percentile(latencies, 0.50),
        "p99_ms": _stats.percentile(latencies, 0.99),
        "unanswered": float(len(ids) - len(answered)),
        "refused": float(refused),
        "service_cores": cpu / elapsed if elapsed > 0 else math.nan,
        "standin_cpu_ms": other * per,
    }
    return _worker.Sample(events, refused, elapsed, cpu, extra)


def main(argv: Sequence[str] | None = None) -> None:
    parser = _worker.arguments(__doc__ or "", endpoint=False)
    parser.add_argument("--target", choices=("serve", "floor", "receiver", "emit"), default="serve")
    parser.add_argument("--rate", type=float, default=0.0, help="webhooks/s; 0: saturation")
    args = parser.parse_args(argv)
    _worker.report(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
