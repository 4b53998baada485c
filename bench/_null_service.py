"""The null service: it answers every execution ``success`` at once, without calling Pusher, with
as little of its own as the gRPC library allows. It is the floor that ``serve`` is measured
against (serve's overhead is serve's CPU per execution minus this one's, in the same run).

What it leaves out, because each costs CPU per execution that is the library's choice, not ours:
protobuf (the answer is the task message's id field followed by constant bytes: both messages
number the execution id 1), a task of our own per answer (a gRPC call already runs as one), and
gRPC's retries. (Calling the stream's ``read`` instead of iterating, or the synchronous gRPC API
with threads, measured no leaner.) Run with
``MESG_TOKEN`` and ``MESG_ENDPOINT_TCP`` set, as ``serve`` is; it logs the same ready line.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any, Final

from grpc import aio

from mesg_pusher.mesg.protocol.service_pb2 import (
    ListenTaskRequest,
    SubmitResultRequest,
    TaskData,
)

OUTPUT_KEY: Final = "success"
OUTPUT_DATA: Final = '{"message":"sent"}'
#: SubmitResultRequest's fields 2 and 3 (outputKey, outputData) on the wire.
ANSWER_TAIL: Final = SubmitResultRequest(
    outputKey=OUTPUT_KEY, outputData=OUTPUT_DATA
).SerializeToString()
_ID_TAG: Final = 0x0A  # field 1, length-delimited
_ONE_BYTE_LENGTH: Final = 0x80


def answer_for(task: bytes) -> bytes:
    """The ``SubmitResult`` request answering the task message `task` with ``success``. A
    message that opens with a short id (the stand-in writes fields in order, and a 40-hex id is
    short) lends its id field as it is; any other goes through protobuf."""
    if len(task) >= 2 and task[0] == _ID_TAG and task[1] < _ONE_BYTE_LENGTH:
        return task[: 2 + task[1]] + ANSWER_TAIL
    execution_id = TaskData.FromString(task).executionID
    return SubmitResultRequest(
        executionID=execution_id, outputKey=OUTPUT_KEY, outputData=OUTPUT_DATA
    ).SerializeToString()


async def main() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    options = [("grpc.enable_retries", 0)]
    async with aio.insecure_channel(os.environ["MESG_ENDPOINT_TCP"], options=options) as channel:
        # No serializers: requests go as the bytes given, replies come as bytes (unread).
        listen = channel.unary_stream("/api.Service/ListenTask", None, None)
        submit = channel.unary_unary("/api.Service/SubmitResult", None, None)
        await channel.channel_ready()
        call = listen(ListenTaskRequest(token=os.environ["MESG_TOKEN"]).SerializeToString())
        # A v0.2 engine sends nothing until the first task, so the call is not awaited here;
        # the bench proves readiness with a probe execution anyway.
        print("listening for tasks", file=sys.stderr, flush=True)
        answering: set[Any] = set()  # the calls under way, held until done

        async def read() -> None:
            task: bytes
            async for task in call:
                answer = submit(answer_for(task))
                answering.add(answer)
                answer.add_done_callback(answering.discard)

        reader = asyncio.create_task(read())
        await asyncio.wait(
            [reader, asyncio.create_task(stop.wait())], return_when="FIRST_COMPLETED"
        )
        call.cancel()
        reader.cancel()


if __name__ == "__main__":
    asyncio.run(main())
