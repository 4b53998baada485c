"""A service that answers every execution ``success`` at once, without calling Pusher.

It measures the engine stand-in's own ceiling: whatever rate the stand-in and the load reach with
it is the most any service can reach through the same engine. Run with ``MESG_TOKEN`` and
``MESG_ENDPOINT_TCP`` set, as ``serve`` is; it logs the same ready line.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from grpc import aio

from mesg_pusher.mesg.protocol.service_pb2 import ListenTaskRequest, SubmitResultRequest, TaskData
from mesg_pusher.mesg.protocol.service_pb2_grpc import ServiceStub

SENT = '{"message":"sent"}'


async def main() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with aio.insecure_channel(os.environ["MESG_ENDPOINT_TCP"]) as channel:
        stub = ServiceStub(channel)
        await channel.channel_ready()
        call = stub.ListenTask(ListenTaskRequest(token=os.environ["MESG_TOKEN"]))
        # A v0.2 engine sends nothing until the first task, so the call is not awaited here;
        # the bench proves readiness with a probe execution anyway.
        print("listening for tasks", file=sys.stderr, flush=True)
        pending: set[asyncio.Task[object]] = set()

        async def answer(task: TaskData) -> object:
            return await stub.SubmitResult(
                SubmitResultRequest(
                    executionID=task.executionID, outputKey="success", outputData=SENT
                )
            )

        async def read() -> None:
            async for task in call:
                work: asyncio.Task[object] = asyncio.create_task(answer(task))
                pending.add(work)
                work.add_done_callback(pending.discard)

        reader = asyncio.create_task(read())
        await asyncio.wait(
            [reader, asyncio.create_task(stop.wait())], return_when="FIRST_COMPLETED"
        )
        call.cancel()
        reader.cancel()


if __name__ == "__main__":
    asyncio.run(main())
