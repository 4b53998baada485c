"""Worker: the official Python SDK (PyPI pusher), sequential or from a thread pool sharing one
client, as a Python user would otherwise run it."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pusher

from . import _worker

DATA = {"message": "hello", "count": 1}


def run(client: pusher.Pusher, count: int, seconds: float, threads: int) -> tuple[int, int]:
    counter = _worker.Counter(count, time.monotonic() + seconds)
    lock = threading.Lock()

    def loop() -> None:
        while True:
            with lock:
                if not counter.take():
                    return
            try:
                client.trigger("bench-channel", "bench-event", DATA)
            except Exception:
                with lock:
                    counter.errors += 1
            else:
                with lock:
                    counter.done += 1

    if threads == 1:
        loop()
    else:
        with ThreadPoolExecutor(threads) as pool:
            for future in [pool.submit(loop) for _ in range(threads)]:
                future.result()
    return counter.done, counter.errors


def main() -> None:
    args = _worker.arguments(__doc__ or "").parse_args()
    client = pusher.Pusher(
        app_id="1",
        key="bench-key",
        secret="bench-secret",
        host=args.host,
        port=args.port,
        ssl=False,
        timeout=10,
    )
    run(client, args.warmup, args.seconds, args.concurrency)
    cpu0, t0 = _worker.cpu_seconds(), time.perf_counter()
    done, errors = run(client, args.count, args.seconds, args.concurrency)
    elapsed, cpu = time.perf_counter() - t0, _worker.cpu_seconds() - cpu0
    _worker.report(_worker.Sample(done, errors, elapsed, cpu))


if __name__ == "__main__":
    main()
