"""Replays and duplicates, with the clock passed in.

Freshness: a webhook whose ``time_ms`` is further than the replay window from this clock is
refused, so a body captured once cannot be replayed later.

Duplicates: Pusher retries a webhook with the same body when it did not get a 2xx answer in
time, so the same body can arrive again after its events were emitted. `RecentWebhooks`
remembers bodies by app key and SHA-256 digest and tells the receiver what to do with each:

- ``new``: emit its events from `Claim.start` on (0, unless an earlier attempt got part of
  the way), then `settle` with how many were accepted;
- ``duplicate``: every event was accepted before; answer 200 again and emit nothing;
- ``in_progress``: the same body is being emitted by another request right now; answer 503
  and let the sender retry.

A body counts as emitted only once all its events were accepted, and progress is kept, so a
retry after a partial failure emits each event once, in order. Memory is bounded by time and by
bytes: a body is forgotten once its ``time_ms`` leaves the window (it would be refused as stale
from then on) or, past `max_bytes` (`ENTRY_BYTES` a body), oldest first.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Literal

from ._limits import ENTRY_BYTES, MAX_IN_PROGRESS_MS, MAX_REMEMBERED_BYTES, REPLAY_WINDOW_MS
from ._outcomes import WebhookOutcome, WebhookRefused


def check_fresh(time_ms: float, now_ms: float, window_ms: float = REPLAY_WINDOW_MS) -> None:
    """Refuse (stale) a ``time_ms`` further than `window_ms` from `now_ms`, either way."""
    age = now_ms - time_ms
    limit = f"at most {int(window_ms // 1000)} s"
    if age > window_ms:
        raise WebhookRefused(
            WebhookOutcome.STALE, f"the webhook is {age / 1000:.0f} s old ({limit})"
        )
    if -age > window_ms:
        raise WebhookRefused(
            WebhookOutcome.STALE,
            f"the webhook is dated {-age / 1000:.0f} s ahead of this clock ({limit})",
        )


def body_digest(key: str, body: bytes) -> bytes:
    """What identifies a body: SHA-256 over the app key (length first, so no key and body
    pair can pass for another) and the raw body."""
    encoded = key.encode("utf-8", "surrogatepass")
    return hashlib.sha256(len(encoded).to_bytes(8, "big") + encoded + body).digest()


ClaimKind = Literal["new", "duplicate", "in_progress"]


@dataclass(frozen=True, slots=True)
class Claim:
    """What to do with a body (see the module's docstring)."""

    kind: ClaimKind
    digest: bytes
    start: int = 0
    #: Which claim of this body this is; `settle` ignores a claim that is not the latest.
    generation: int = 0


@dataclass(slots=True)
class _Seen:
    expires_ms: float
    total: int
    accepted: int = 0
    busy_since: float | None = None
    generation: int = 0


class RecentWebhooks:
    """Bodies seen recently and how far their emission got."""

    def __init__(
        self,
        max_bytes: int = MAX_REMEMBERED_BYTES,
        *,
        window_ms: float = REPLAY_WINDOW_MS,
        in_progress_ms: float = MAX_IN_PROGRESS_MS,
    ) -> None:
        if max_bytes < ENTRY_BYTES:
            raise ValueError(f"max_bytes is at least {ENTRY_BYTES} (one body)")
        self.max_bytes = max_bytes
        #: Bodies remembered at most.
        self.capacity = max_bytes // ENTRY_BYTES
        self.window_ms = window_ms
        self.in_progress_ms = in_progress_ms
        self._seen: OrderedDict[bytes, _Seen] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    @property
    def held_bytes(self) -> int:
        """What the bodies remembered cost, at most (`ENTRY_BYTES` each)."""
        return len(self._seen) * ENTRY_BYTES

    def claim(self, body_digest: bytes, time_ms: float, events: int, now_ms: float) -> Claim:
        """Decide about a fresh, verified body of `events` events (see `Claim`)."""
        self._forget_expired(now_ms)
        seen = self._seen.get(body_digest)
        if seen is None:
            while len(self._seen) >= self.capacity:
                self._seen.popitem(last=False)
            seen = _Seen(expires_ms=time_ms + self.window_ms, total=events)
            self._seen[body_digest] = seen
        elif seen.accepted >= seen.total:
            return Claim("duplicate", body_digest, seen.accepted, seen.generation)
        elif seen.busy_since is not None and now_ms - seen.busy_since < self.in_progress_ms:
            return Claim("in_progress", body_digest, seen.accepted, seen.generation)
        seen.generation += 1
        seen.busy_since = now_ms
        return Claim("new", body_digest, seen.accepted, seen.generation)

    def settle(self, claim: Claim, accepted: int) -> None:
        """Record that `accepted` events from `claim.start` on were accepted (all, or the
        first ones of them before a failure). Only a ``new`` claim settles anything."""
        if claim.kind != "new":
            return
        seen = self._seen.get(claim.digest)
        if seen is None or seen.generation != claim.generation:
            return  # forgotten meanwhile, or an abandoned claim taken over by a later one
        seen.accepted = min(seen.total, max(seen.accepted, claim.start + max(accepted, 0)))
        seen.busy_since = None

    def _forget_expired(self, now_ms: float) -> None:
        # Insertion order follows time_ms closely enough: the oldest entries come first.
        while self._seen:
            first = next(iter(self._seen.values()))
            if first.expires_ms >= now_ms:
                return
            self._seen.popitem(last=False)
