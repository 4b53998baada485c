"""Worker: our `PusherClient` triggering one small event at a time or many in flight."""

from __future__ import annotations

import asyncio

from mesg_pusher.pusher import App, Connection, PusherClient

from . import _worker

APP = App("1", "bench-key", "bench-secret")
DATA = {"message": "hello", "count": 1}


async def main() -> None:
    parser = _worker.arguments(__doc__ or "")
    parser.add_argument("--keep-alive", choices=("on", "off"), default="on")
    args = parser.parse_args()
    connection = Connection.create(
        host=args.host, port=args.port, keep_alive=args.keep_alive == "on", timeout_ms=10_000
    )
    async with PusherClient(APP, connection) as client:

        async def trigger() -> object:
            return await client.trigger("bench-channel", "bench-event", DATA)

        sample = await _worker.measure_async(trigger, args)
    _worker.report(sample)


if __name__ == "__main__":
    asyncio.run(main())
