"""Pusher Channels limits, in one place. Sizes are UTF-8 byte lengths, lengths are characters."""

from __future__ import annotations

import re
from typing import Final

#: Characters a channel name may use: ``A-Z a-z 0-9 _ - = @ , . ;``.
CHANNEL_NAME_CHARACTERS: Final = "A-Z a-z 0-9 _ - = @ , . ;"
CHANNEL_NAME_PATTERN: Final = re.compile(r"[A-Za-z0-9_\-=@,.;]+")
MAX_CHANNEL_NAME_LENGTH: Final = 200
MAX_EVENT_NAME_LENGTH: Final = 200
MAX_CHANNELS_PER_EVENT: Final = 100
#: Events per ``batch_events`` call on the multi-tenant clusters.
MAX_EVENTS_PER_BATCH: Final = 10
#: Bytes of an event's data string (UTF-8) on the multi-tenant clusters.
MAX_DATA_BYTES: Final = 10240
#: How far those two may be set for a dedicated cluster or a self-hosted server (soketi takes
#: 100 KB of data by default): bounds that keep a typo from meaning "no limit".
DATA_BYTES_CEILING: Final = 10 * 1024 * 1024
BATCH_EVENTS_CEILING: Final = 1000
#: Most times a failed call may be tried again (the MESG service's ``retries``; Pusher's API
#: has no such limit, the bound keeps a retry storm short).
MAX_RETRIES: Final = 10
SOCKET_ID_PATTERN: Final = re.compile(r"[0-9]+\.[0-9]+")
#: How far ``auth_timestamp`` may be from the server's clock, in seconds.
SIGNATURE_WINDOW_SECONDS: Final = 600
#: Channels under these prefixes need an auth signature to subscribe.
PRIVATE_PREFIX: Final = "private-"
PRESENCE_PREFIX: Final = "presence-"
ENCRYPTED_PREFIX: Final = "private-encrypted-"
#: Events to this prefix plus a user id reach the connections signed in as that user.
SERVER_TO_USER_PREFIX: Final = "#server-to-user-"

#: What ``info`` may ask of each endpoint (a comma list of these). ``user_count`` exists on
#: presence channels only.
USER_COUNT: Final = "user_count"
PUBLISH_INFO_ATTRIBUTES: Final = ("subscription_count", "user_count")
CHANNELS_INFO_ATTRIBUTES: Final = ("subscription_count", "user_count")
CHANNEL_INFO_ATTRIBUTES: Final = ("cache", "subscription_count", "user_count")
#: Longest presence ``user_id`` and largest ``user_info`` (bytes of JSON) Pusher accepts.
MAX_PRESENCE_USER_ID_LENGTH: Final = 128
MAX_USER_INFO_BYTES: Final = 1024

#: End-to-end encryption: the app's master key, and the secretbox nonce, in bytes.
ENCRYPTION_MASTER_KEY_BYTES: Final = 32
NONCE_BYTES: Final = 24
#: Bytes a secretbox adds to what it seals (its MAC).
SECRETBOX_OVERHEAD_BYTES: Final = 16

#: A webhook whose ``time_ms`` is further than this from the receiver's clock is refused, as the
#: official SDKs refuse it (a replayed old webhook).
WEBHOOK_MAX_AGE_MS: Final = 300_000
