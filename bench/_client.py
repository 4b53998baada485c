"""Worker: our `PusherClient` triggering one small event at a time or many in flight.

``--edge aiohttp`` sends plain HTTP through aiohttp instead of the lean edge, to show the gain.
"""

from __future__ import annotations

import asyncio

from mesg_pusher.pusher import App, Connection, HttpPool, PusherClient

from . import _worker

APP = App("1", "bench-key", "bench-secret")
DATA = {"message": "hello", "count": 1}


async def main() -> None:
    parser = _worker.arguments(__doc__ or "")
    parser.add_argument("--keep-alive", choices=("on", "off"), default="on")
    parser.add_argument("--edge", choices=("lean", "aiohttp"), default="lean")
    args = parser.parse_args()
    connection = Connection.create(
        host=args.host, port=args.port, keep_alive=args.keep_alive == "on", timeout_ms=10_000
    )
    http = HttpPool(lean=args.edge == "lean")
    async with PusherClient(APP, connection, http=http) as client:

        async def trigger() -> object:
            return await client.trigger("bench-channel", "bench-event", DATA)

        sample = await _worker.measure_async(trigger, args)
    await http.close()
    _worker.report(sample)


if __name__ == "__main__":
    asyncio.run(main())
