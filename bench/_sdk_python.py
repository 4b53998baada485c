"""Worker: the official Python SDK (PyPI pusher), sequential or from a thread pool sharing one
client, as a Python user would otherwise run it; over plain HTTP or over TLS.

Over TLS its own requests backend verifies against the certificate file the SDK bundles,
whatever it is told (``REQUESTS_CA_BUNDLE`` included), so the sink's test CA goes in through the
SDK's public ``backend`` option: `TrustingBackend` is that backend (one `requests.Session`, as
the SDK's own) verifying against the file given.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pusher
import requests
from pusher.http import process_response

from . import _worker

DATA = {"message": "hello", "count": 1}


class TrustingBackend:
    """A backend for the SDK's ``backend=`` option: what its requests backend does, with the
    certificates checked against `verify` (a CA file) instead of the SDK's bundled one."""

    def __init__(self, client: Any, *, verify: str, **options: Any) -> None:
        self.client = client
        self.options = {**options, "verify": verify}
        self.session = requests.Session()

    def send_request(self, request: Any) -> Any:
        response = self.session.request(
            request.method,
            request.url,
            headers=request.headers,
            data=request.body,
            timeout=self.client.timeout,
            **self.options,
        )
        return process_response(response.status_code, response.text)


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
    parser = _worker.arguments(__doc__ or "")
    parser.add_argument("--scheme", choices=("http", "https"), default="http")
    parser.add_argument("--ca", help="the CA file to trust (https)")
    args = parser.parse_args()
    tls: dict[str, Any] = {}
    if args.scheme == "https":
        tls = {"backend": TrustingBackend, "verify": args.ca}
    client = pusher.Pusher(
        app_id="1",
        key="bench-key",
        secret="bench-secret",
        host=args.host,
        port=args.port,
        ssl=args.scheme == "https",
        timeout=10,
        **tls,
    )
    run(client, args.warmup, args.seconds, args.concurrency)
    cpu0, t0 = _worker.cpu_seconds(), time.perf_counter()
    done, errors = run(client, args.count, args.seconds, args.concurrency)
    elapsed, cpu = time.perf_counter() - t0, _worker.cpu_seconds() - cpu0
    _worker.report(_worker.Sample(done, errors, elapsed, cpu))


if __name__ == "__main__":
    main()
