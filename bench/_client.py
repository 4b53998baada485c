"""Worker: our `PusherClient` triggering one small event at a time or many in flight, over
plain HTTP or over TLS (``--ca``: the CA file the sink's certificate is signed by), on the
standard event loop or on uvloop (``--loop``)."""

from __future__ import annotations

import ssl

from mesg_pusher.pusher import PusherClient

from . import _worker

DATA = {"message": "hello", "count": 1}


async def main() -> None:
    parser = _worker.arguments(__doc__ or "")
    parser.add_argument("--keep-alive", choices=("on", "off"), default="on")
    parser.add_argument("--scheme", choices=("http", "https"), default="http")
    parser.add_argument("--ca", help="the CA file to trust (https)")
    args = parser.parse_args()
    context = ssl.create_default_context(cafile=args.ca) if args.ca else None
    async with PusherClient(
        app_id="1",
        key="bench-key",
        secret="bench-secret",
        host=args.host,
        port=args.port,
        tls=args.scheme == "https",
        keep_alive=args.keep_alive == "on",
        timeout_ms=10_000,
        ssl_context=context,
    ) as client:

        async def trigger() -> object:
            return await client.trigger("bench-channel", "bench-event", DATA)

        sample = await _worker.measure_async(trigger, args)
    _worker.report(sample)


if __name__ == "__main__":
    _worker.run(main)
