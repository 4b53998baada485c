"""Replays and duplicates, with the clock passed in.

Freshness: a webhook whose ``time_ms`` is further than the replay window from this clock is
refused, so a body captured once cannot be replayed later.

Duplicates: Pusher retries a webhook with the same body when it did not get a 2xx answer in
time, so the same body can arrive again after its events were emitted, at this replica or
another. What is remembered of a body (`BodyRecord`, by app key and SHA-256 digest) lives in the
service's store; these are the rules that change it, pure, each giving its result and the record
to keep (None: unchanged). `claim_body` tells the receiver what to do with a body:

- ``new``: emit its events from `Claim.start` on (0, unless an earlier attempt got part of
  the way), recording its progress as it goes (`body_progress`), and release it at the end;
- ``duplicate``: every event is behind; answer 200 again and emit nothing;
- ``in_progress``: another request (here or at another replica) is emitting the same body right
  now; answer 503 and let the sender retry.

A body counts as emitted once every event is behind it: accepted by the engine, refused by it
for good, or sent twice without an answer. The engine's ``EmitEvent`` keeps no keys, so a send
whose answer never came may have emitted the event: the record counts those sends of the next
event (`BodyRecord.unanswered`), written before each send, so that whichever replica resumes
the body sends that event once more at most. A claim whose emission stopped without releasing
the body (its service went away) is taken over once its `in_progress_ms` are over.

Memory is bounded by time and by bytes: a body is forgotten once its ``time_ms`` leaves the
window (it would be refused as stale from then on) or, in the process, past its budget
(`ENTRY_BYTES` a body), oldest first, never while being emitted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Literal

from ._limits import MAX_SENDS, REPLAY_WINDOW_MS
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
class BodyRecord:
    """What is remembered of one body: its `total` events, how many are behind (`done`), how
    many sends of the next one got no answer (`unanswered`), and who is emitting it (`owner`,
    empty when nobody is) until `busy_until_ms`."""

    total: int
    done: int = 0
    unanswered: int = 0
    owner: str = ""
    busy_until_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class Claim:
    """What to do with a body (see the module's docstring): for a new claim, the first event
    to emit (`start`) and how many sends of it got no answer already (`unanswered`); `owner`
    names the claim in the store."""

    kind: ClaimKind
    digest: bytes
    start: int = 0
    unanswered: int = 0
    owner: str = ""


def claim_body(
    record: BodyRecord | None,
    *,
    digest: bytes,
    owner: str,
    events: int,
    now_ms: float,
    in_progress_ms: float,
) -> tuple[Claim, BodyRecord | None]:
    """Decide about a fresh, verified body of `events` events for the claim `owner`."""
    busy_until = now_ms + in_progress_ms
    if record is None:
        return Claim("new", digest, owner=owner), BodyRecord(
            events, owner=owner, busy_until_ms=busy_until
        )
    if record.done >= record.total:
        return Claim("duplicate", digest, record.done), None
    if record.owner and record.owner != owner and record.busy_until_ms > now_ms:
        return Claim("in_progress", digest, record.done), None
    taken = replace(record, owner=owner, busy_until_ms=busy_until)
    return Claim("new", digest, record.done, record.unanswered, owner), taken


def body_progress(
    record: BodyRecord | None, *, owner: str, done: int, unanswered: int, release: bool = False
) -> tuple[bool, BodyRecord | None]:
    """Record that `done` events are behind and `unanswered` sends of the next got no answer
    (or are about to be made); with `release`, the claim ends. False (nothing changes) when the
    claim is no longer `owner`'s: forgotten, or taken over after its time ran out."""
    if record is None or not owner or record.owner != owner:
        return False, None
    moved = replace(record, done=min(record.total, max(done, 0)), unanswered=max(unanswered, 0))
    if release:
        moved = replace(moved, owner="", busy_until_ms=0.0)
    return True, moved


def sends_left(unanswered: int) -> bool:
    """Whether an event may be sent again after `unanswered` sends that got no answer: the first
    send, and one more (`MAX_SENDS`); never a third, which could emit it a third time."""
    return unanswered < MAX_SENDS


def encode_body(record: BodyRecord) -> bytes:
    """A body's record as ``b1 TOTAL DONE UNANSWERED BUSY_UNTIL OWNER``."""
    return (
        f"b1 {record.total} {record.done} {record.unanswered} {record.busy_until_ms!r} "
        f"{record.owner}"
    ).encode()


def decode_body(raw: bytes) -> BodyRecord:
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        raise ValueError("not a body record: not UTF-8") from None
    fields = text.split(" ", 5)
    if len(fields) != 6 or fields[0] != "b1":
        raise ValueError("not a body record of this version")
    _, total, done, unanswered, busy_until, owner = fields
    if not all(n.isascii() and n.isdigit() for n in (total, done, unanswered)):
        raise ValueError("not a body record: counts are whole numbers")
    try:
        until = float(busy_until)
    except ValueError:
        raise ValueError("not a body record: its busy time is not a number") from None
    return BodyRecord(int(total), int(done), int(unanswered), owner, until)


def body_emitting(record: BodyRecord) -> bool:
    """Whether the body is being emitted (it is never forgotten for room meanwhile)."""
    return bool(record.owner)


def body_expires_ms(time_ms: float, window_ms: float = REPLAY_WINDOW_MS) -> float:
    """When a body dated `time_ms` is forgotten: once it would be refused as stale."""
    return time_ms + window_ms
