"""Worker: the footprint of ``mesg-pusher serve``: time from start to ready, and peak memory
with many executions in flight at once.

Pusher is played by a holding server that reads each request and answers only when released,
so executions pile up inside the service: `--count` executions are sent, the service is given
room for all of them (``MESG_PUSHER_MAX_IN_FLIGHT``), its HTTP listener (webhooks, health,
metrics) on as by default or off (``--listener``), and once every one has reached the
service (the holding server has as many requests as the service's connection limit lets
through and the engine has handed all of them over), the answers are released. Peak RSS is
the kernel's high-water mark (``VmHWM``) of the service process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time

from . import _proc, _processes, _worker
from ._drivers import Application, inputs

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class Holding:
    """An HTTP server on 127.0.0.1 that holds every request until `release`."""

    def __init__(self) -> None:
        self.waiting = 0
        self.released = asyncio.Event()
        self.server: asyncio.Server | None = None
        self.port = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._arrival = asyncio.Event()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                self.waiting += 1
                self._arrival.set()
                await self.released.wait()
                self.waiting -= 1
                writer.write(ANSWER)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def reached(self, count: int) -> None:
        """Return once `count` requests are held."""
        while self.waiting < count:
            self._arrival.clear()
            await self._arrival.wait()

    async def close(self) -> None:
        """Stop listening and end every connection, so each handler returns by itself."""
        if self.server is not None:
            self.server.close()
        self.released.set()
        for writer in list(self._writers):
            writer.close()
        for _ in range(100):
            if not self._writers:
                break
            await asyncio.sleep(0.01)


async def run(args: argparse.Namespace) -> _worker.Sample:
    holding = Holding()
    await holding.start()
    env = {"MESG_PUSHER_MAX_IN_FLIGHT": str(args.count), "MESG_PUSHER_QUEUE_SIZE": str(args.count)}
    # By default serve also listens for webhooks, health and metrics (loopback, a free port).
    env["MESG_PUSHER_WEBHOOK_LISTEN"] = "127.0.0.1:0" if args.listener == "on" else "off"
    try:
        with (
            _processes.engine() as engine,
            _processes.service(_processes.SERVE, engine, env) as service,
        ):
            ready = service.ready_after()
            app = Application(
                engine, inputs("127.0.0.1", holding.port, ("1", "bench-key", "bench-secret"))
            )
            await app.start()
            try:
                holding.released.set()
                await app.probe()
                idle_mb = _proc.rss_mb(service.pid)
                holding.released.clear()
                cpu0, t0 = _proc.cpu_seconds(service.pid), time.perf_counter()
                sending = [asyncio.create_task(app.execute()) for _ in range(args.count)]
                ids = [i for i in await asyncio.gather(*sending, return_exceptions=True)]
                sent = [i for i in ids if isinstance(i, str)]
                # Every execution handed over; the connection limit lets some reach the server.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(holding.reached(min(len(sent), 256)), args.seconds)
                in_flight_mb = _proc.rss_mb(service.pid)
                held = holding.waiting
                holding.released.set()
                answered = [await app.result(i, 10.0) for i in sent]
                elapsed = time.perf_counter() - t0
                cpu = _proc.cpu_seconds(service.pid) - cpu0
                peak = _proc.peak_rss_mb(service.pid)
            finally:
                await app.close()
    finally:
        await holding.close()
    extra = {
        "ready_s": ready,
        "peak_rss_mb": peak,
        "idle_rss_mb": idle_mb,
        "in_flight_rss_mb": in_flight_mb,
        "held_at_pusher": float(held),
        "unanswered": float(len(sent) - sum(answered)),
    }
    return _worker.Sample(sum(answered), args.count - len(sent), elapsed, cpu, extra)


def main() -> None:
    parser = _worker.arguments(__doc__ or "")
    parser.add_argument(
        "--listener", choices=("on", "off"), default="on", help="serve's HTTP listener"
    )
    args = parser.parse_args()
    _worker.report(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
