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
SOCKET_ID_PATTERN: Final = re.compile(r"[0-9]+\.[0-9]+")
#: How far ``auth_timestamp`` may be from the server's clock, in seconds.
SIGNATURE_WINDOW_SECONDS: Final = 600
#: Channels under these prefixes need an auth signature to subscribe.
PRIVATE_PREFIX: Final = "private-"
PRESENCE_PREFIX: Final = "presence-"
ENCRYPTED_PREFIX: Final = "private-encrypted-"
#: Events to this prefix plus a user id reach the connections signed in as that user.
SERVER_TO_USER_PREFIX: Final = "#server-to-user-"
