"""The local server as a webhook sender, behaving as Pusher does.

Theory of operation. The broker tells `WebhookSender` what changed (a channel occupied or
vacated, a presence member added or removed, a client event, a subscription count), between
awaits. `WebhookPlan`, pure and clocked from outside, decides what is sent and when:

- ``channel_vacated`` and ``member_removed`` wait `ServerSettings.webhook_delay` seconds
  (Pusher: about 3). A channel occupied again, or a member added again, within that delay
  cancels the pair: neither the vacated (removed) nor the new occupied (added) is sent, as
  Pusher debounces a page reload;
- ``subscription_count`` is sent for channels other than presence ones when the count changes
  and is not zero (the vacated event says zero); within one batch only the latest count of a
  channel is kept, and a count equal to the last one sent is not repeated;
- ``client_event`` carries the data as text (an object a client sent becomes its compact JSON),
  with ``user_id`` on presence channels;
- ``cache_miss`` is sent when a client subscribes to a cache channel that holds no event; a
  batch carries one per channel however many clients missed (Pusher de-duplicates them);
- events are batched per app, as Pusher batches them: a batch opens with its first event and
  is sent after `ServerSettings.webhook_batch_window` seconds (Pusher: 250 ms) or at
  `MAX_BATCH_EVENTS` (Pusher: 20), all under one ``time_ms``.

The sender POSTs each batch to every URL with ``Content-Type: application/json``,
``X-Pusher-Key`` and ``X-Pusher-Signature`` (`mesg_pusher.webhooks.signature`). Each URL gets
its batches one after another, so they arrive in order; an answer other than 2xx, no answer
within `SEND_TIMEOUT_SECONDS` (Pusher expects one within 4 s) or a failed connection is retried
with the same body, with capped exponential backoff, for `ServerSettings.webhook_retry_for`
seconds (Pusher: five minutes), then given up. The debug console shows every attempt and its
answer.
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
from .._json import dumps
from .._secrets import scrub
from ..pusher import App
from ..webhooks import CONTENT_TYPE, KEY_HEADER, SIGNATURE_HEADER, signature
from ._config import ServerSettings
from ._debug_feed import DebugFeed, preview
from ._state import Joined, Left, is_presence

#: Events in one webhook at most, as Pusher batches them.
MAX_BATCH_EVENTS: Final = 20
#: Seconds a receiver has to answer one POST (Pusher expects an answer within 4 s).
SEND_TIMEOUT_SECONDS: Final = 4.0
#: Backoff between attempts: the first retry after about this many seconds, doubling...
RETRY_FIRST_SECONDS: Final = 0.5
#: ...up to this many.
RETRY_MAX_SECONDS: Final = 30.0
#: Batches waiting for one URL; past this (a receiver down for long) the oldest are dropped.
MAX_QUEUED_WEBHOOKS: Final = 1000
#: Bytes of a receiver's answer read and shown in the debug console.
ANSWER_PREVIEW_BYTES: Final = 2048

VACATED: Final = "channel_vacated"
REMOVED: Final = "member_removed"
CACHE_MISS: Final = "cache_miss"


# --- the plan: what is sent and when (pure) ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Batch:
    """The events of one webhook, for one app, in order."""

    app_id: str
    events: tuple[dict[str, Any], ...]


def webhook_request(
    app: App, time_ms: int, events: tuple[dict[str, Any], ...]
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one webhook, signed as Pusher signs it."""
    body = dumps({"time_ms": time_ms, "events": list(events)}).encode("utf-8")
    headers = {
        "Content-Type": CONTENT_TYPE,
        KEY_HEADER: app.key,
        SIGNATURE_HEADER: signature(app.secret, body),
    }
    return body, headers


@dataclass(slots=True)
class _Scheduled:
    due: float
    seq: int
    app_id: str
    event: dict[str, Any]
    leaving: tuple[str, ...] | None = None  # its key in `_leaving` while it waits
    cancelled: bool = False

    def __lt__(self, other: _Scheduled) -> bool:
        return (self.due, self.seq) < (other.due, other.seq)


@dataclass(slots=True)
class _Open:
    opened: float
    events: list[dict[str, Any]] = field(default_factory=list)


class WebhookPlan:
    """Which webhook events go out when; every method takes the current (monotonic) time."""

    def __init__(
        self,
        *,
        delay: float,
        batch_window: float,
        max_events: int = MAX_BATCH_EVENTS,
    ) -> None:
        self.delay = delay
        self.batch_window = batch_window
        self.max_events = max_events
        self._heap: list[_Scheduled] = []
        self._seq = itertools.count()
        self._leaving: dict[tuple[str, ...], _Scheduled] = {}
        self._counts: dict[tuple[str, str], int] = {}
        self._open: dict[str, _Open] = {}
        self._ready: list[Batch] = []

    # --- what happened -----------------------------------------------------------------------

    def joined(self, app_id: str, channel: str, joined: Joined, count: int, now: float) -> None:
        """A subscription; `count` is the channel's subscription count after it."""
        self._advance(now)
        if joined.already_subscribed:
            return
        if joined.occupied and not self._cancel((app_id, VACATED, channel), now):
            self._add(now, app_id, {"name": "channel_occupied", "channel": channel})
        member = joined.member_added
        if member is not None and not self._cancel((app_id, REMOVED, channel, member.user_id), now):
            self._add(
                now, app_id, {"name": "member_added", "channel": channel, "user_id": member.user_id}
            )
        self._count(app_id, channel, count, now)

    def left(self, app_id: str, left: Left, count: int, now: float) -> None:
        """An unsubscription (or a disconnection's, channel by channel)."""
        self._advance(now)
        channel = left.channel
        if left.member_removed is not None:
            event = {"name": REMOVED, "channel": channel, "user_id": left.member_removed}
            self._add_late(now, app_id, event, (app_id, REMOVED, channel, left.member_removed))
        if left.vacated:
            self._add_late(
                now, app_id, {"name": VACATED, "channel": channel}, (app_id, VACATED, channel)
            )
        else:
            self._count(app_id, channel, count, now)

    def client_event(
        self,
        app_id: str,
        *,
        channel: str,
        event: str,
        data: Any,
        socket_id: str,
        user_id: str | None,
        now: float,
    ) -> None:
        self._advance(now)
        sent: dict[str, Any] = {
            "name": "client_event",
            "channel": channel,
            "event": event,
            "data": data if isinstance(data, str) else dumps(data),
            "socket_id": socket_id,
        }
        if user_id is not None:
            sent["user_id"] = user_id
        self._add(now, app_id, sent)

    def cache_miss(self, app_id: str, channel: str, now: float) -> None:
        """A client subscribed to the cache channel `channel`, which holds no event."""
        self._advance(now)
        self._add(now, app_id, {"name": CACHE_MISS, "channel": channel})

    # --- what to send ------------------------------------------------------------------------

    def take(self, now: float) -> list[Batch]:
        """The batches complete at `now`, in the order they are to be sent."""
        self._advance(now)
        ready, self._ready = self._ready, []
        return ready

    def next_due(self) -> float | None:
        """When `take` may have something next, or None while nothing is pending."""
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        times = [batch.opened + self.batch_window for batch in self._open.values()]
        if self._heap:
            times.append(self._heap[0].due)
        if self._ready:
            times.append(float("-inf"))
        return min(times) if times else None

    # --- inside ------------------------------------------------------------------------------

    def _advance(self, now: float) -> None:
        """Bring the plan to `now`: what fell due joins its batch, in time order, and batches
        whose window is over close. Every method does this first, so what it decides sees
        the state of that moment however rarely `take` is called."""
        while self._heap and self._heap[0].due <= now:
            item = heapq.heappop(self._heap)
            if item.cancelled:
                continue
            self._close_expired(item.due, inclusive=False)
            if item.leaving is not None:
                self._leaving.pop(item.leaving, None)
                if item.event["name"] == VACATED:
                    self._counts.pop((item.app_id, item.event["channel"]), None)
            self._append(item.app_id, item.event, item.due)
        self._close_expired(now)

    def _close_expired(self, now: float, *, inclusive: bool = True) -> None:
        # Not inclusive before adding an event: one of the same instant joins the batch
        # even when the window is 0.
        for app_id, batch in list(self._open.items()):
            end = batch.opened + self.batch_window
            if now > end or (inclusive and now == end):
                self._close(app_id)

    def _add(self, due: float, app_id: str, event: dict[str, Any]) -> _Scheduled:
        item = _Scheduled(due, next(self._seq), app_id, event)
        heapq.heappush(self._heap, item)
        return item

    def _add_late(
        self, now: float, app_id: str, event: dict[str, Any], key: tuple[str, ...]
    ) -> None:
        self._cancel(key, now)
        item = self._add(now + self.delay, app_id, event)
        item.leaving = key
        self._leaving[key] = item

    def _cancel(self, key: tuple[str, ...], now: float) -> bool:
        """Cancel a vacated/removed still within its delay at `now`; whether there was one."""
        item = self._leaving.get(key)
        if item is None or item.due <= now:
            return False  # none, or its delay is over: it goes out, and so does the return
        del self._leaving[key]
        item.cancelled = True
        return True

    def _count(self, app_id: str, channel: str, count: int, now: float) -> None:
        if is_presence(channel) or count < 1 or self._counts.get((app_id, channel)) == count:
            return
        self._counts[(app_id, channel)] = count
        self._add(
            now,
            app_id,
            {"name": "subscription_count", "channel": channel, "subscription_count": count},
        )

    def _append(self, app_id: str, event: dict[str, Any], at: float) -> None:
        batch = self._open.get(app_id)
        if batch is None:
            batch = self._open[app_id] = _Open(at)
        if event["name"] == "subscription_count":
            batch.events = [
                e
                for e in batch.events
                if e["name"] != "subscription_count" or e["channel"] != event["channel"]
            ]
        elif event["name"] == CACHE_MISS and event in batch.events:
            return  # the receiver hears of a channel's miss once per batch
        batch.events.append(event)
        if len(batch.events) >= self.max_events:
            self._close(app_id)

    def _close(self, app_id: str) -> None:
        batch = self._open.pop(app_id)
        self._ready.append(Batch(app_id, tuple(batch.events)))


# --- the sender: POSTs, retries, the debug console (the edge) ------------------------------------


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

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebhookSender:
    """Turns state changes into signed webhooks POSTed to every configured URL."""

    def __init__(
        self,
        settings: ServerSettings,
        debug: DebugFeed,
        *,
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
        self._wall = wall_clock
        self._now = monotonic
        self._wake = asyncio.Event()
        self._queues: dict[str, asyncio.Queue[tuple[Batch, bytes, dict[str, str]]]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None

    # --- what happened (called by the broker, never waits) -----------------------------------

    def joined(self, app: App, channel: str, joined: Joined, count: int) -> None:
        self.plan.joined(app.app_id, channel, joined, count, self._now())
        self._wake.set()

    def left(self, app: App, left: Left, count: int) -> None:
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
            queue: asyncio.Queue[tuple[Batch, bytes, dict[str, str]]] = asyncio.Queue(
                MAX_QUEUED_WEBHOOKS
            )
            self._queues[url] = queue
            self._tasks.append(asyncio.create_task(self._deliver(url, queue)))
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
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    def _enqueue(self, batch: Batch) -> None:
        app = self._apps[batch.app_id]
        # One body per batch, stamped now: every URL and every retry gets the same bytes.
        body, headers = webhook_request(app, int(self._wall() * 1000), batch.events)
        for url, queue in self._queues.items():
            if queue.full():
                dropped, _, _ = queue.get_nowait()
                self._record(
                    url, dropped, 0, _Attempt(None, error="too many webhooks waiting"), "dropped"
                )
            queue.put_nowait((batch, body, headers))

    async def _deliver(
        self, url: str, queue: asyncio.Queue[tuple[Batch, bytes, dict[str, str]]]
    ) -> None:
        while True:
            batch, body, headers = await queue.get()
            await self._send(url, batch, body, headers)

    async def _send(self, url: str, batch: Batch, body: bytes, headers: dict[str, str]) -> None:
        backoff = Backoff(base=RETRY_FIRST_SECONDS, cap=RETRY_MAX_SECONDS)
        started = self._now()
        attempt = 0
        while True:
            attempt += 1
            result = await self._post(url, body, headers)
            if result.ok:
                self._record(url, batch, attempt, result, "delivered")
                return
            delay = backoff.next_delay()
            if self._now() + delay - started > self.retry_for:
                self._record(url, batch, attempt, result, "gave up")
                return
            self._record(url, batch, attempt, result, "retrying", retry_in=round(delay, 3))
            await asyncio.sleep(delay)

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
        batch: Batch,
        attempt: int,
        result: _Attempt,
        outcome: str,
        *,
        retry_in: float | None = None,
    ) -> None:
        self._debug.record(
            "webhook",
            app=batch.app_id,
            url=shown_url(url),
            attempt=attempt,
            events=[_summary(event) for event in batch.events],
            status=result.status,
            answer=preview(result.answer),
            error=result.error,
            outcome=outcome,
            retry_in=retry_in,
        )


def _summary(event: Mapping[str, Any]) -> dict[str, Any]:
    """What the console shows of one event: everything but a client event's data in full."""
    shown = {key: value for key, value in event.items() if key != "data"}
    if "data" in event:
        shown["data"] = preview(event["data"])
    return shown
