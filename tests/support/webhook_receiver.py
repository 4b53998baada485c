"""A webhook receiver for tests, on 127.0.0.1: it records every POST (headers and raw body) and
answers with the statuses a test scripts, then ``200 {}``. It checks nothing itself: the tests
hand what it received to the official SDKs and to the project's own checks."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

PATH = "/webhooks"


@dataclass(frozen=True)
class Delivery:
    """One POST as it arrived."""

    headers: dict[str, str]  # lower-cased names, as the Node SDK's webhook() takes them
    body: bytes
    status: int  # what the receiver answered
    at: float  # time.monotonic() on arrival

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def events(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.json["events"]
        return events


@dataclass
class WebhookReceiver:
    #: Statuses of the first answers, in order; every later one is 200.
    answers: list[int] = field(default_factory=list)
    #: A body for the answers that are not 2xx.
    error_body: str = '{"error":"scripted failure"}'
    deliveries: list[Delivery] = field(default_factory=list)
    _queue: asyncio.Queue[Delivery] = field(default_factory=asyncio.Queue)
    _runner: web.AppRunner | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PATH}"

    async def start(self) -> WebhookReceiver:
        app = web.Application()
        app.router.add_post(PATH, self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        status = self.answers.pop(0) if self.answers else 200
        headers = {name.lower(): value for name, value in request.headers.items()}
        delivery = Delivery(headers, body, status, time.monotonic())
        self.deliveries.append(delivery)
        self._queue.put_nowait(delivery)
        text = "{}" if status == 200 else self.error_body
        return web.Response(status=status, text=text, content_type="application/json")

    async def next(self, within: float = 15.0) -> Delivery:
        try:
            return await asyncio.wait_for(self._queue.get(), within)
        except TimeoutError:
            pytest.fail(f"no webhook within {within} s; received so far: {self.deliveries}")

    async def events(self, count: int, within: float = 15.0) -> list[dict[str, Any]]:
        """The next `count` webhook events, across as many POSTs as they take."""
        deadline = time.monotonic() + within
        events: list[dict[str, Any]] = []
        while len(events) < count:
            delivery = await self.next(max(deadline - time.monotonic(), 0.01))
            if 200 <= delivery.status < 300:
                events.extend(delivery.events)
        return events

    async def quiet(self, seconds: float) -> Sequence[Delivery]:
        """What arrives in the next `seconds` (nothing, when a test expects no more)."""
        late: list[Delivery] = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                late.append(await asyncio.wait_for(self._queue.get(), left))
            except TimeoutError:
                break
        return late
