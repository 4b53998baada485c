"""The null service: it answers every execution ``success`` at once, without calling Pusher, with
as little of its own as the gRPC library allows. It is the floor that ``serve`` is measured
against (serve's overhead is serve's CPU per execution minus this one's, in the same run).

What it leaves out, because each costs CPU per execution that is the library's choice, not ours:
protobuf (the answer is the task message's id field followed by constant bytes: both messages
number the execution id 1), a task of our own per answer (a gRPC call already runs as one), and
gRPC's retries. (Calling the stream's ``read`` instead of iterating, or the synchronous gRPC API
with threads, measured no leaner.) Run with
``MESG_TOKEN`` and ``MESG_ENDPOINT_TCP`` set, as ``serve`` is; it logs the same ready line.

With ``--publish HOST:PORT`` it is the floor of a service that publishes: before answering, each
execution posts one request signed once (``_floor.presigned``) on a keep-alive connection of its
own to the sink at HOST:PORT and waits for the answer, with no task of its own (the answer's
callback submits). What serve spends beyond this one is its own machinery, not the network's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Callable
from typing import Any, Final

from grpc import aio

from mesg_pusher.mesg.protocol.service_pb2 import (
    ListenTaskRequest,
    SubmitResultRequest,
    TaskData,
)

from . import _floor

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


class _Publisher:
    """Keep-alive connections to the sink, each posting the one pre-signed request and calling
    back with the task when the answer is in."""

    def __init__(self, host: str, port: int) -> None:
        self._address = (host, port)
        self._request = _floor.presigned(host, port)[1]
        self._idle: list[_Posting] = []

    async def publish(self, task: bytes, done: Callable[[bytes], None]) -> None:
        posting = self._idle.pop() if self._idle else None
        if posting is None:
            loop = asyncio.get_running_loop()
            _, posting = await loop.create_connection(lambda: _Posting(self._idle), *self._address)
        posting.post(self._request, task, done)


class _Posting(_floor._Exchange):
    def __init__(self, idle: list[_Posting]) -> None:
        super().__init__()
        self._idle = idle
        self._then: tuple[bytes, Callable[[bytes], None]] | None = None

    def post(self, request: bytes, task: bytes, done: Callable[[bytes], None]) -> None:
        assert self.transport is not None
        self._then = (task, done)
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        if self.answered(data) is None or self._then is None:
            return
        (task, done), self._then = self._then, None
        self._idle.append(self)
        done(task)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--publish", metavar="HOST:PORT", help="post to this sink first")
    args = parser.parse_args()
    publisher = None
    if args.publish:
        host, _, port = args.publish.rpartition(":")
        publisher = _Publisher(host, int(port))
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

        def answer(task: bytes) -> None:
            submitting = submit(answer_for(task))
            answering.add(submitting)
            submitting.add_done_callback(answering.discard)

        async def read() -> None:
            task: bytes
            async for task in call:
                if publisher is None:
                    answer(task)
                else:
                    await publisher.publish(task, answer)

        reader = asyncio.create_task(read())
        await asyncio.wait(
            [reader, asyncio.create_task(stop.wait())], return_when="FIRST_COMPLETED"
        )
        call.cancel()
        reader.cancel()


if __name__ == "__main__":
    asyncio.run(main())
