"""The numbers a webhook receiver lives by, in one place."""

from __future__ import annotations

from typing import Final

#: Largest webhook body accepted, in bytes; past it the answer is 413 before the body is read.
#: The largest genuine body, from Pusher's limits: a batch holds up to 20 events, the largest a
#: ``client_event`` whose every text is escaped as badly as JSON allows: 10,240 bytes of data
#: written as ``\u00XX`` (6 bytes each: 61,440), an event name of 200 characters (``client-``
#: and 193 written as surrogate pairs, 12 bytes each: 2,323) and a user id of 128 (1,536), a
#: channel name of 200 (its characters need no escape), a socket id of 64 and the field names
#: and quotes (85): 65,648 bytes an event, 1,313,016 with the envelope (``tests/webhooks``
#: builds that body). 2 MiB leaves room for a sender that adds spaces or a field.
MAX_BODY_BYTES: Final = 2 << 20
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
#: Sends of one event that may have reached the engine (no answer came) at most: EmitEvent keeps
#: no keys, so each may have emitted it; one more send after the first at most.
MAX_SENDS: Final = 2
#: Pusher expects an answer within 4 seconds; a receiver answers by then whatever happens.
ANSWER_WITHIN_SECONDS: Final = 4.0
#: How long what this service signed of a presence member is remembered: a ``member_added`` or
#: ``member_removed`` within this of the signature carries the member's ``user_info``.
MEMBER_INFO_MS: Final = 24 * 60 * 60 * 1000
#: Memory for the members signed lately, by default; past it the oldest are forgotten first.
#: An entry costs its texts and `MEMBER_ENTRY_BYTES`: about 600 bytes for a short
#: ``user_info``, so this holds some 28,000 members (``user_info`` is at most 1 KiB).
MAX_MEMBER_INFO_BYTES: Final = 16 * 1024 * 1024
#: What remembering one member costs besides its texts, in bytes (its place in the memory, its
#: key and its entry; measured with tracemalloc by the tests: 245 to 296 as the table grows).
MEMBER_ENTRY_BYTES: Final = 320
