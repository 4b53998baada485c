"""The webhook floor: a bare aiohttp handler that makes the same ``EmitEvent`` call as ``serve``
for each event of a webhook, and answers ``200 {}``. It is what serve's webhook-to-event path is
measured against (serve's CPU per event over this one's, in the same run).

What it leaves out, being the least a receiver can do: verifying the key and the signature,
the replay window and the memory of bodies emitted, limits, retries, metrics and the log line.
What it keeps: aiohttp's server, reading the body as JSON, one ``EmitEvent`` per event with the
same event key and data (the event's fields, the sender's app key and the webhook's
``time_ms``), awaited in order.
Run with ``MESG_TOKEN`` and ``MESG_ENDPOINT_TCP`` set, as ``serve`` is; it logs where it
listens, as serve does (``listening for webhooks webhooks=URL``).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from typing import Any, Final

from aiohttp import web
from grpc import aio

from mesg_pusher.mesg.protocol.service_pb2 import EmitEventReply, EmitEventRequest

PATH: Final = "/webhooks"
EMIT_EVENT: Final = "/api.Service/EmitEvent"
READY_LINE: Final = "listening for webhooks"


async def main() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    token = os.environ["MESG_TOKEN"]
    options = [("grpc.enable_retries", 0)]
    async with aio.insecure_channel(os.environ["MESG_ENDPOINT_TCP"], options=options) as channel:
        emit = channel.unary_unary(
            EMIT_EVENT,
            request_serializer=EmitEventRequest.SerializeToString,
            response_deserializer=EmitEventReply.FromString,
        )

        async def webhook(request: web.Request) -> web.Response:
            body: dict[str, Any] = json.loads(await request.read())
            for event in body["events"]:
                data = {k: v for k, v in event.items() if k != "name"}
                data["app_key"] = request.headers.get("X-Pusher-Key", "")
                data["time_ms"] = body["time_ms"]
                await emit(
                    EmitEventRequest(
                        token=token,
                        eventKey=event["name"],
                        eventData=json.dumps(data, separators=(",", ":")),
                    )
                )
            return web.Response(body=b"{}", content_type="application/json")

        app = web.Application()
        app.router.add_post(PATH, webhook)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        print(f"{READY_LINE} webhooks=http://127.0.0.1:{port}{PATH}", file=sys.stderr, flush=True)
        await stop.wait()
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
