"""The local server's webhook sender, the edge around `WebhookPlan`: it hands the plan what the
broker reports, POSTs each batch the plan completes to every URL, retries, and shows every
attempt in the debug console.

Each batch becomes one body, signed once and stamped when the batch closes, so every URL and
every retry gets the same bytes, with ``Content-Type: application/json``, ``X-Pusher-Key`` and
``X-Pusher-Signature``. Each URL has its own outbox, ordered by when each webhook is due: new
batches go out one after another, in order, while a failed one waits for its next attempt, so
one failing webhook never holds the later ones back. A POST with no answer within
`SEND_TIMEOUT_SECONDS` (Pusher expects one within 4 s), a failed connection or an answer the
plan says to retry is tried again with the same body, with capped exponential backoff, for
`ServerSettings.webhook_retry_for` seconds (Pusher: five minutes), then given up; a final answer
(413) is given up at once. An outbox holds at most `MAX_QUEUED_WEBHOOKS` webhooks and
`MAX_QUEUED_BYTES` of bodies; past either, the oldest is dropped.

Injected faults (``drop-webhook``, ``slow-webhook``) are drawn once per batch and URL, when the
batch is handed to that URL's outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import unquote, urlsplit, urlunsplit

import aiohttp
from aiohttp import web

from .._backoff import Backoff
from .._secrets import scrub
from ..pusher import App
from ._config import ServerSettings
from ._debug_feed import DebugFeed, preview
from ._fault_injection import DROP_WEBHOOK, SLOW_WEBHOOK, WEBHOOK_KINDS, FaultDraws
from ._state import Joined, Left
from ._webhook_plan import Batch, WebhookPlan, delivered, retried, webhook_request

#: Seconds a receiver has to answer one POST (Pusher expects an answer within 4 s).
SEND_TIMEOUT_SECONDS: Final = 4.0
#: Backoff between attempts: the first retry after about this many seconds, doubling...
RETRY_FIRST_SECONDS: Final = 0.5
#: ...up to this many.
RETRY_MAX_SECONDS: Final = 30.0
#: Webhooks waiting for one URL (first attempts and retries); past this the oldest is dropped.
MAX_QUEUED_WEBHOOKS: Final = 1000
#: Bytes of bodies waiting for one URL: 20 client events of 10 KB escaped six times over make
#: a body of about 1.2 MB, so a receiver down for long holds about 13 of those at most.
MAX_QUEUED_BYTES: Final = 16 * 1024 * 1024
#: Bytes of a receiver's answer read and shown in the debug console.
ANSWER_PREVIEW_BYTES: Final = 2048


def shown_url(url: str) -> str:
    """`url` without credentials, fit to print."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


@dataclass(frozen=True, slots=True)
class _Attempt:
    status: int | None
    answer: str = ""
    error: str = ""


@dataclass(slots=True)
class _Webhook:
    """One batch on its way to one URL."""

    due: float
    seq: int
    batch: Batch
    body: bytes
    headers: dict[str, str]
    #: When it was first tried (the retry period counts from there), None until then.
    first_tried: float | None = None
    attempt: int = 0
    backoff: Backoff = field(
        default_factory=lambda: Backoff(base=RETRY_FIRST_SECONDS, cap=RETRY_MAX_SECONDS)
    )
    #: The injected fault that made it late, shown with each attempt.
    fault: str | None = None

    def __lt__(self, other: _Webhook) -> bool:
        return (self.due, self.seq) < (other.due, other.seq)


@dataclass(slots=True)
class _Outbox:
    """The webhooks waiting for one URL, the earliest due first."""

    url: str
    heap: list[_Webhook] = field(default_factory=list)
    bytes: int = 0
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def push(self, webhook: _Webhook) -> None:
        heapq.heappush(self.heap, webhook)
        self.bytes += len(webhook.body)
        self.wake.set()

    def pop(self) -> _Webhook:
        webhook = heapq.heappop(self.heap)
        self.bytes -= len(webhook.body)
        return webhook

    def drop_oldest(self) -> _Webhook:
        oldest = min(self.heap, key=lambda webhook: webhook.seq)
        self.heap.remove(oldest)
        heapq.heapify(self.heap)
        self.bytes -= len(oldest.body)
        return oldest


class WebhookSender:
    """Turns state changes into signed webhooks POSTed to every configured URL."""

    def __init__(
        self,
        settings: ServerSettings,
        debug: DebugFeed,
        *,
        faults: FaultDraws | None = None,
        count: Callable[[str, int], None] | None = None,
        wall_clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.urls = settings.webhooks
        self.retry_for = settings.webhook_retry_for
        self.plan = WebhookPlan(
            delay=settings.webhook_delay, batch_window=settings.webhook_batch_window
        )
        self._apps: Mapping[str, App] = {app.app_id: app for app in settings.apps}
        self._debug = debug
        self._faults = faults if faults is not None else FaultDraws((), 0)
        self._count = count
        self._wall = wall_clock
        self._now = monotonic
        self._wake = asyncio.Event()
        self._seq = itertools.count()
        self._outboxes: dict[str, _Outbox] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None

    # --- what happened (called by the broker, never waits) -----------------------------------

    def joined(self, app: App, channel: str, joined: Joined, count: int | None) -> None:
        self.plan.joined(app.app_id, channel, joined, count, self._now())
        self._wake.set()

    def left(self, app: App, left: Left, count: int | None) -> None:
        self.plan.left(app.app_id, left, count, self._now())
        self._wake.set()

    def client_event(
        self,
        app: App,
        *,
        channel: str,
        event: str,
        data: Any,
        socket_id: str,
        user_id: str | None,
    ) -> None:
        self.plan.client_event(
            app.app_id,
            channel=channel,
            event=event,
            data=data,
            socket_id=socket_id,
            user_id=user_id,
            now=self._now(),
        )
        self._wake.set()

    def cache_miss(self, app: App, channel: str) -> None:
        self.plan.cache_miss(app.app_id, channel, self._now())
        self._wake.set()

    # --- running -----------------------------------------------------------------------------

    async def on_startup(self, _: web.Application) -> None:
        # No proxy from the environment: webhooks go where they are told, nowhere else.
        self._session = aiohttp.ClientSession(trust_env=False)
        for url in self.urls:
            outbox = self._outboxes[url] = _Outbox(url)
            self._tasks.append(asyncio.create_task(self._deliver(outbox)))
        self._tasks.append(asyncio.create_task(self._schedule()))

    async def on_cleanup(self, _: web.Application) -> None:
        """Stop: webhooks not yet sent, and retries, are given up."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _schedule(self) -> None:
        while True:
            self._wake.clear()
            for batch in self.plan.take(self._now()):
                self._enqueue(batch)
            due = self.plan.next_due()
            timeout = None if due is None else max(due - self._now(), 0.0)
            await _wait(self._wake, timeout)

    def _enqueue(self, batch: Batch) -> None:
        app = self._apps[batch.app_id]
        # One body per batch, stamped now: every URL and every retry gets the same bytes.
        body, headers = webhook_request(app, int(self._wall() * 1000), batch.events)
        now = self._now()
        for url, outbox in self._outboxes.items():
            fired = {fault.kind: fault for fault in self._faults.draw_all(WEBHOOK_KINDS)}
            webhook = _Webhook(now, next(self._seq), batch, body, headers)
            if DROP_WEBHOOK in fired:
                lost = _Attempt(None, error="dropped by an injected fault")
                self._record(url, webhook, lost, "dropped", fault=DROP_WEBHOOK)
                continue
            slow = fired.get(SLOW_WEBHOOK)
            if slow is not None:
                webhook.due = now + slow.seconds
                webhook.fault = SLOW_WEBHOOK
            outbox.push(webhook)
            self._bound(outbox)

    def _bound(self, outbox: _Outbox) -> None:
        while len(outbox.heap) > 1 and (
            len(outbox.heap) > MAX_QUEUED_WEBHOOKS or outbox.bytes > MAX_QUEUED_BYTES
        ):
            dropped = outbox.drop_oldest()
            waiting = _Attempt(None, error="too many webhooks waiting for this URL")
            self._record(outbox.url, dropped, waiting, "dropped")

    async def _deliver(self, outbox: _Outbox) -> None:
        while True:
            while not outbox.heap or outbox.heap[0].due > self._now():
                outbox.wake.clear()
                wait = outbox.heap[0].due - self._now() if outbox.heap else None
                await _wait(outbox.wake, wait)
            webhook = outbox.pop()
            await self._try(outbox, webhook)

    async def _try(self, outbox: _Outbox, webhook: _Webhook) -> None:
        now = self._now()
        if webhook.first_tried is None:
            webhook.first_tried = now
        webhook.attempt += 1
        if self._count is not None:
            self._count(webhook.batch.app_id, 1)  # Pusher counts each webhook call it makes
        result = await self._post(outbox.url, webhook.body, webhook.headers)
        if delivered(result.status):
            self._record(outbox.url, webhook, result, "delivered")
            return
        if not retried(result.status):
            self._record(outbox.url, webhook, result, "gave up: a final answer")
            return
        delay = webhook.backoff.next_delay()
        retry_at = self._now() + delay
        if retry_at - webhook.first_tried > self.retry_for:
            self._record(outbox.url, webhook, result, "gave up")
            return
        self._record(outbox.url, webhook, result, "retrying", retry_in=round(delay, 3))
        webhook.due = retry_at
        outbox.push(webhook)

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> _Attempt:
        assert self._session is not None
        try:
            async with asyncio.timeout(SEND_TIMEOUT_SECONDS):
                async with self._session.post(
                    url, data=body, headers=headers, allow_redirects=False
                ) as response:
                    answer = await response.content.read(ANSWER_PREVIEW_BYTES)
                    return _Attempt(response.status, answer.decode("utf-8", "replace"))
        except TimeoutError:
            return _Attempt(None, error=f"no answer within {SEND_TIMEOUT_SECONDS:g} s")
        except (aiohttp.ClientError, OSError) as error:
            # A library's message may quote the URL: never with its password.
            password = urlsplit(url).password
            hidden = [password, unquote(password)] if password else []
            return _Attempt(None, error=scrub(f"{type(error).__name__}: {error}", hidden))

    def _record(
        self,
        url: str,
        webhook: _Webhook,
        result: _Attempt,
        outcome: str,
        *,
        retry_in: float | None = None,
        fault: str | None = None,
    ) -> None:
        self._debug.record(
            "webhook",
            app=webhook.batch.app_id,
            url=shown_url(url),
            attempt=webhook.attempt,
            events=[_summary(event) for event in webhook.batch.events],
            status=result.status,
            answer=preview(result.answer),
            error=result.error,
            outcome=outcome,
            retry_in=retry_in,
            fault=fault or webhook.fault,
        )


async def _wait(event: asyncio.Event, seconds: float | None) -> None:
    """Until `event` is set or `seconds` pass. Not `asyncio.wait_for`: on Python 3.11 it drops a
    cancellation that comes as the event is set, and the server's stop then waits forever."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()


def _summary(event: Mapping[str, Any]) -> dict[str, Any]:
    """What the console shows of one event: everything but a client event's data in full."""
    shown = {key: value for key, value in event.items() if key != "data"}
    if "data" in event:
        shown["data"] = preview(event["data"])
    return shown
