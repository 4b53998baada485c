"""Pusher webhooks as MESG events: the pure core of a receiver.

A webhook is verified (app key, signature in constant time, size), read into the events
mesg.yml declares (with the signing app's key, and what this service signed of a presence
member: `MemberMemory`), filtered (`WebhookFilter`), checked for freshness and for duplicates
(the rules of what the service's store remembers of a body), and its answer decided from what
happened to it (`decide`), each outcome with one HTTP answer (`RESPONSES`). Nothing here does I/O
or reads a clock: the receiver inside ``serve`` and the local server's webhook sender are the
edges. The signature is Pusher's, `mesg_pusher.pusher.webhook_signature`. See ``_intake.py`` for
the theory of operation.
"""

from ._decision import ENDED_BY, Emission, Setback, decide
from ._filter import EVERY_EVENT, WebhookFilter
from ._intake import Intake, Ticket, Verified, check
from ._limits import (
    ANSWER_WITHIN_SECONDS,
    ENTRY_BYTES,
    MAX_BODY_BYTES,
    MAX_IN_PROGRESS_MS,
    MAX_MEMBER_INFO_BYTES,
    MAX_REMEMBERED_BYTES,
    MAX_SENDS,
    MEMBER_ENTRY_BYTES,
    MEMBER_INFO_MS,
    REPLAY_WINDOW_MS,
)
from ._members import MemberMemory
from ._outcomes import (
    CONTENT_TYPE,
    RESPONSES,
    WebhookOutcome,
    WebhookRefused,
    WebhookResponse,
    respond,
)
from ._parse import APP_KEY, USER_INFO, Webhook, WebhookEvent, parse
from ._replay import (
    BodyRecord,
    Claim,
    body_digest,
    body_emitting,
    body_expires_ms,
    body_progress,
    check_fresh,
    claim_body,
    decode_body,
    encode_body,
    sends_left,
)
from ._signature import KEY_HEADER, SIGNATURE_HEADER, Credentials, verify

__all__ = [
    "ANSWER_WITHIN_SECONDS",
    "APP_KEY",
    "CONTENT_TYPE",
    "ENDED_BY",
    "ENTRY_BYTES",
    "EVERY_EVENT",
    "KEY_HEADER",
    "MAX_BODY_BYTES",
    "MAX_IN_PROGRESS_MS",
    "MAX_MEMBER_INFO_BYTES",
    "MAX_REMEMBERED_BYTES",
    "MAX_SENDS",
    "MEMBER_ENTRY_BYTES",
    "MEMBER_INFO_MS",
    "REPLAY_WINDOW_MS",
    "RESPONSES",
    "SIGNATURE_HEADER",
    "USER_INFO",
    "BodyRecord",
    "Claim",
    "Credentials",
    "Emission",
    "Intake",
    "MemberMemory",
    "Setback",
    "Ticket",
    "Verified",
    "Webhook",
    "WebhookEvent",
    "WebhookFilter",
    "WebhookOutcome",
    "WebhookRefused",
    "WebhookResponse",
    "body_digest",
    "body_emitting",
    "body_expires_ms",
    "body_progress",
    "check",
    "check_fresh",
    "claim_body",
    "decide",
    "decode_body",
    "encode_body",
    "parse",
    "respond",
    "sends_left",
    "verify",
]
