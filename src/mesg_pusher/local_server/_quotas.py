"""Pusher's usage limits, as pure counters: the daily message quota of each app, and the rate
of client events one connection may send. The clock's reading is passed in.

Messages are counted as Pusher counts them: each HTTP API call (a batch counts one per event,
and a publish asking for ``info`` one more), each event delivered to a subscriber (API events,
client events, presence member added and removed, subscription counts), each client event sent,
and each webhook POSTed. A day is a UTC day, as Pusher's daily quota resets at midnight UTC.
"""

from __future__ import annotations

from collections import deque
from typing import Final

#: Client events one connection may send in any one second (Pusher's limit).
CLIENT_EVENTS_PER_SECOND: Final = 10
SECONDS_PER_DAY: Final = 86_400


class DailyMessages:
    """Messages of each app today, against an optional `quota` per app per day."""

    def __init__(self, quota: int | None = None) -> None:
        self.quota = quota
        self._day = -1
        self._counts: dict[str, int] = {}

    def add(self, app_id: str, messages: int, now: float) -> None:
        self._roll(now)
        self._counts[app_id] = self._counts.get(app_id, 0) + messages

    def today(self, app_id: str, now: float) -> int:
        self._roll(now)
        return self._counts.get(app_id, 0)

    def over(self, app_id: str, now: float) -> bool:
        """Whether the app has used its quota for today (never, without a quota)."""
        return self.quota is not None and self.today(app_id, now) >= self.quota

    def _roll(self, now: float) -> None:
        day = int(now // SECONDS_PER_DAY)
        if day != self._day:
            self._day = day
            self._counts = {}


class ClientEventRate:
    """The client events of one connection: `allow` says whether one more may go at `now`, at
    most `limit` in any window of one second (sliding, so a burst at a second's edge counts)."""

    __slots__ = ("_sent", "limit")

    def __init__(self, limit: int = CLIENT_EVENTS_PER_SECOND) -> None:
        self.limit = limit
        self._sent: deque[float] = deque()

    def allow(self, now: float) -> bool:
        while self._sent and self._sent[0] <= now - 1.0:
            self._sent.popleft()
        if len(self._sent) >= self.limit:
            return False
        self._sent.append(now)
        return True
