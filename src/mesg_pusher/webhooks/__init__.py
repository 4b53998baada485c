"""Pusher webhooks as MESG events: the pure core of a receiver, and the signature a sender uses.

A webhook is verified (app key, signature in constant time, size), read into the events
mesg.yml declares, checked for freshness and for duplicates, and its answer decided from what
happened to it (`decide`), each outcome with one HTTP answer (`ANSWERS`). Nothing here does I/O
or reads a clock: the receiver inside ``serve`` and the local server's webhook sender are the
edges. See ``_intake.py`` for the theory of operation.
"""

from ._answers import ANSWERS, CONTENT_TYPE, Answer, Outcome, WebhookRefused, answer
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
from ._parse import Webhook, WebhookEvent, parse
from ._replay import Claim, RecentWebhooks, check_fresh, digest
from ._signature import KEY_HEADER, SIGNATURE_HEADER, Credentials, signature, verify

__all__ = [
    "ANSWERS",
    "ANSWER_WITHIN_SECONDS",
    "CONTENT_TYPE",
    "ENDED_BY",
    "ENTRY_BYTES",
    "KEY_HEADER",
    "MAX_BODY_BYTES",
    "MAX_IN_PROGRESS_MS",
    "MAX_REMEMBERED_BYTES",
    "REPLAY_WINDOW_MS",
    "SIGNATURE_HEADER",
    "Answer",
    "Claim",
    "Credentials",
    "Emission",
    "Intake",
    "Outcome",
    "RecentWebhooks",
    "Setback",
    "Ticket",
    "Verified",
    "Webhook",
    "WebhookEvent",
    "WebhookRefused",
    "answer",
    "check",
    "check_fresh",
    "decide",
    "digest",
    "parse",
    "signature",
    "verify",
]
