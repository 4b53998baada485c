"""What the local server sends as webhooks, and when, as Pusher does: pure, clocked from outside.

Theory of operation. The broker tells the sender (`_webhook_sender.py`) what changed (a channel
occupied or vacated, a presence member added or removed, a client event, a subscription count),
between awaits, and the sender tells `WebhookPlan`, which decides what is sent and when:

- ``channel_vacated`` and ``member_removed`` wait `ServerSettings.webhook_delay` seconds
  (Pusher: about 3). A channel occupied again, or a member added again, within that delay
  cancels the pair: neither the vacated (removed) nor the new occupied (added) is sent, as
  Pusher debounces a page reload;
- ``subscription_count`` is sent, for apps with the ``subscription-count`` option (the broker
  passes no count for others), for channels other than presence ones when the count changes
  and is not zero (the vacated event says zero); within one batch only the latest count of a
  channel is kept, and a count equal to the last one sent is not repeated;
- ``client_event`` carries the data as text (an object a client sent becomes its compact JSON),
  with ``user_id`` on presence channels;
- ``cache_miss`` is sent when a client subscribes to a cache channel that holds no event; a
  batch carries one per channel however many clients missed (Pusher de-duplicates them);
- events are batched per app, as Pusher batches them: a batch opens with its first event and
  is sent after `ServerSettings.webhook_batch_window` seconds (Pusher: 250 ms) or at
  `MAX_BATCH_EVENTS` (Pusher: 20), all under one ``time_ms``.

Once a batch is sent, whether a POST's answer is final or worth retrying is decided here too
(`retried`): every answer other than 2xx is retried, as Pusher retries, except 413 (the body
will never fit) and except no answer at all, which is retried too.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from typing import Any, Final

from .._json import dumps
from ..pusher import App, webhook_signature
from ..webhooks import CONTENT_TYPE, KEY_HEADER, SIGNATURE_HEADER
from ._state import Joined, Left, is_presence

#: Events in one webhook at most, as Pusher batches them.
MAX_BATCH_EVENTS: Final = 20
#: Answers that are final though not 2xx: a body too large will never fit, however often sent.
FINAL_STATUSES: Final = frozenset({413})

VACATED: Final = "channel_vacated"
REMOVED: Final = "member_removed"
CACHE_MISS: Final = "cache_miss"


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
        SIGNATURE_HEADER: webhook_signature(app.secret, body),
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

    def joined(
        self, app_id: str, channel: str, joined: Joined, count: int | None, now: float
    ) -> None:
        """A subscription; `count` is the channel's subscription count after it (None: the
        app does not count subscriptions)."""
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

    def left(self, app_id: str, left: Left, count: int | None, now: float) -> None:
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

    def _count(self, app_id: str, channel: str, count: int | None, now: float) -> None:
        if count is None or count < 1 or is_presence(channel):
            return
        if self._counts.get((app_id, channel)) == count:
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


def delivered(status: int | None) -> bool:
    """Whether a POST answered `status` (None: no answer) delivered its webhook."""
    return status is not None and 200 <= status < 300


def retried(status: int | None) -> bool:
    """Whether a POST answered `status` (None: no answer) is sent again: every failure but a
    final answer (`FINAL_STATUSES`)."""
    return not delivered(status) and status not in FINAL_STATUSES
