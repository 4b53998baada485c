"""The numbers a webhook receiver lives by, in one place."""

from __future__ import annotations

from typing import Final

#: Largest webhook body accepted, in bytes. A batch of Pusher webhooks holds up to 20 events,
#: and a client event carries up to 10 KB of data that JSON escaping can grow six-fold, so
#: genuine bodies stay far below this; past it the answer is 413 before any parsing.
MAX_BODY_BYTES: Final = 1 << 20
#: How far a webhook's ``time_ms`` may be from this clock, in either direction. Pusher retries a
#: webhook with the same body (the same ``time_ms``) for five minutes; ten leave room for those
#: retries and for clock skew, and equal the 600 s Pusher's own API allows ``auth_timestamp``.
REPLAY_WINDOW_MS: Final = 10 * 60 * 1000
#: What remembering one body for duplicate detection costs at most, in bytes (its digest, its
#: progress and its place in the memory; measured with tracemalloc by the tests).
ENTRY_BYTES: Final = 320
#: Memory for duplicate detection. A body is forgotten when its ``time_ms`` leaves the replay
#: window (it would be refused as stale from then on) or, past this budget, oldest first. This
#: covers the whole window (and Pusher's five minutes of retries twice over) up to about 350
#: webhooks a second; beyond that rate a duplicate is caught within
#: ``MAX_REMEMBERED_BYTES / ENTRY_BYTES / rate`` seconds.
MAX_REMEMBERED_BYTES: Final = 64 * 1024 * 1024
#: A body being emitted blocks its duplicates this long at most, in case the handler that
#: claimed it never settled it; longer than the answer deadline.
MAX_IN_PROGRESS_MS: Final = 10_000
#: Pusher expects an answer within 4 seconds; a receiver answers by then whatever happens.
ANSWER_WITHIN_SECONDS: Final = 4.0
