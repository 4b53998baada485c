"""Cache channels: the last event published through the HTTP API on each, kept for a while.

A channel whose name starts with ``cache-``, ``private-cache-``, ``private-encrypted-cache-`` or
``presence-cache-`` is a cache channel. Pusher remembers the last event triggered on one for up
to 30 minutes, whether or not anyone is subscribed; a client subscribing gets it right after
``subscription_succeeded``, or ``pusher:cache_miss`` when there is none. Client events are not
cached (Pusher's and soketi's rule alike). Pure: the clock's reading is passed in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

CACHE_PREFIXES: Final = ("cache-", "private-cache-", "private-encrypted-cache-", "presence-cache-")
#: Channels of one app whose last event is kept at most; past it the oldest is forgotten first
#: (Pusher keeps an event "up to" its TTL, so forgetting one early is within its promise).
MAX_CACHED_CHANNELS: Final = 10_000


def is_cache_channel(channel: str) -> bool:
    return channel.startswith(CACHE_PREFIXES)


@dataclass(frozen=True, slots=True)
class CachedEvent:
    """The last event of a cache channel, and when it is forgotten."""

    name: str
    data: str
    expires: float

    def ttl(self, now: float) -> int:
        """Whole seconds left, rounded up: an event still held never shows 0."""
        return max(math.ceil(self.expires - now), 1)

    def answer(self, now: float) -> dict[str, Any]:
        """What ``GET channels/<name>?info=cache`` says of it: Pusher's ``{data, ttl}``."""
        return {"data": self.data, "ttl": self.ttl(now)}


class ChannelCache:
    """The cached events of one app's cache channels, each for `ttl` seconds."""

    def __init__(self, ttl: float, max_channels: int = MAX_CACHED_CHANNELS) -> None:
        self.ttl = ttl
        self.max_channels = max_channels
        # Insertion order is expiry order: every event is kept for the same `ttl`.
        self._events: dict[str, CachedEvent] = {}

    def put(self, channel: str, name: str, data: str, now: float) -> None:
        """Remember an event published on `channel` (a no-op for other channels)."""
        if not is_cache_channel(channel):
            return
        self._forget_expired(now)
        self._events.pop(channel, None)
        while len(self._events) >= self.max_channels:
            del self._events[next(iter(self._events))]
        self._events[channel] = CachedEvent(name, data, now + self.ttl)

    def get(self, channel: str, now: float) -> CachedEvent | None:
        """The event `channel` holds at `now`, or None (never one, or expired)."""
        self._forget_expired(now)
        event = self._events.get(channel)
        # Insertion order is expiry order only while the clock runs forward: a wall clock set
        # back can leave an expired event behind a live one.
        return event if event is not None and event.expires > now else None

    def _forget_expired(self, now: float) -> None:
        while self._events:
            oldest = next(iter(self._events))
            if self._events[oldest].expires > now:
                return
            del self._events[oldest]

    def __len__(self) -> int:
        return len(self._events)
