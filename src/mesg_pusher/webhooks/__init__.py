"""Pusher webhooks as MESG events: the pure core of a receiver.

A webhook is verified (app key, signature in constant time, size), read into the events
mesg.yml declares, checked for freshness and for duplicates, and its answer decided from what
happened to it (`decide`), each outcome with one HTTP answer (`RESPONSES`). Nothing here does I/O
or reads a clock: the receiver inside ``serve`` and the local server's webhook sender are the
edges. The signature is Pusher's, `mesg_pusher.pusher.webhook_signature`. See ``_intake.py`` for
the theory of operation.
"""

from ._decision import ENDED_BY, Emission, Setback, decide
from ._intake import Intake, Ticket, Verified, check
from ._limits import (
    ANSWER_WITHIN_SECONDS,
    ENTRY_BYTES,
    MAX_BODY_BYTES,
    MAX_IN_PROGRESS_MS,
    MAX_REMEMBERED_BYTES,
    REPLAY_WINDOW_MS,
)
from ._outcomes import (
    CONTENT_TYPE,
    RESPONSES,
    WebhookOutcome,
    WebhookRefused,
    WebhookResponse,
    respond,
)
from ._parse import Webhook, WebhookEvent, parse
from ._replay import Claim, RecentWebhooks, body_digest, check_fresh
from ._signature import KEY_HEADER, SIGNATURE_HEADER, Credentials, verify

__all__ = [
    "ANSWER_WITHIN_SECONDS",
    "CONTENT_TYPE",
    "ENDED_BY",
    "ENTRY_BYTES",
    "KEY_HEADER",
    "MAX_BODY_BYTES",
    "MAX_IN_PROGRESS_MS",
    "MAX_REMEMBERED_BYTES",
    "REPLAY_WINDOW_MS",
    "RESPONSES",
    "SIGNATURE_HEADER",
    "Claim",
    "Credentials",
    "Emission",
    "Intake",
    "RecentWebhooks",
    "Setback",
    "Ticket",
    "Verified",
    "Webhook",
    "WebhookEvent",
    "WebhookOutcome",
    "WebhookRefused",
    "WebhookResponse",
    "body_digest",
    "check",
    "check_fresh",
    "decide",
    "parse",
    "respond",
    "verify",
]
