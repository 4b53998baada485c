"""Worker: the floors no client can beat, sending one request signed once, again and again.

``raw``: HTTP/1.1 keep-alive written on plain asyncio connections (one protocol object per
connection, the answer's end found by its Content-Length), the least Python can do per request.
``aiohttp``: a bare aiohttp session posting the same bytes, the HTTP library's own floor.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import aiohttp

from mesg_pusher.pusher import App, Event, trigger_request

from . import _worker

APP = App("1", "bench-key", "bench-secret")


def presigned(host: str, port: int) -> tuple[str, bytes]:
    event = Event("bench-event", '{"message":"hello","count":1}', ("bench-channel",))
    request = trigger_request(APP, event, timestamp=int(time.time()))
    head = (
        f"POST {request.target} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(request.body)}\r\n\r\n"
    )
    return request.target, head.encode("ascii") + request.body


class _Exchange(asyncio.Protocol):
    """One keep-alive connection: `send` writes the request and waits for the whole answer."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.waiter: asyncio.Future[int] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def answered(self, data: bytes) -> bytes | None:
        """Adds `data` to what has come; once a whole answer is in, takes it off and gives its
        head (the status line and the headers)."""
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = self.buffer[:end]
        start = head.lower().find(b"content-length:")
        length = int(head[start + 15 : head.index(b"\r\n", start)]) if start >= 0 else 0
        if len(self.buffer) < end + 4 + length:
            return None
        self.buffer = self.buffer[end + 4 + length :]
        return head

    def data_received(self, data: bytes) -> None:
        head = self.answered(data)
        if head is not None and self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(int(head[9:12]))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("closed"))

    async def send(self, request: bytes) -> int:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter


async def raw(args: argparse.Namespace) -> _worker.Sample:
    _, request = presigned(args.host, args.port)
    loop = asyncio.get_running_loop()
    idle: list[_Exchange] = []
    for _ in range(args.concurrency):
        _, protocol = await loop.create_connection(_Exchange, args.host, args.port)
        idle.append(protocol)

    async def post() -> int:
        exchange = idle.pop()
        try:
            return await exchange.send(request)
        finally:
            idle.append(exchange)

    sample = await _worker.measure_async(post, args)
    for exchange in idle:
        if exchange.transport is not None:
            exchange.transport.close()
    return sample


async def bare_aiohttp(args: argparse.Namespace) -> _worker.Sample:
    target, request = presigned(args.host, args.port)
    body = request.split(b"\r\n\r\n", 1)[1]
    url = f"http://{args.host}:{args.port}{target}"
    headers = {"Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session:

        async def post() -> int:
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                return response.status

        return await _worker.measure_async(post, args)


async def main() -> None:
    parser = _worker.arguments(__doc__ or "")
    parser.add_argument("--kind", choices=("raw", "aiohttp"), default="raw")
    args = parser.parse_args()
    _worker.report(await (raw(args) if args.kind == "raw" else bare_aiohttp(args)))


if __name__ == "__main__":
    asyncio.run(main())
