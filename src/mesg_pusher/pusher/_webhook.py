"""Checking a webhook Pusher sent to an app, for a program that receives them itself; pure, the
clock's reading passed in.

A webhook is accepted when ``X-Pusher-Key`` is the app's key, ``X-Pusher-Signature`` is the hex
HMAC-SHA256 of the raw body keyed with the app's secret (compared in constant time), the body
is a JSON object with ``time_ms`` and ``events``, and ``time_ms`` is within
`WEBHOOK_MAX_AGE_MS` of the clock, as the official SDKs check it. Every refusal is an
`InvalidWebhook` saying which check failed, never quoting the secret or the signature.
(``serve`` receives webhooks through `mesg_pusher.webhooks`, which also keeps the MESG events
and the replay memory.)
"""

from __future__ import annotations

from typing import Any

from .. import _json
from .._errors import MesgPusherError
from ._limits import WEBHOOK_MAX_AGE_MS
from ._settings import App
from ._signing import same_signature, webhook_signature


class InvalidWebhook(MesgPusherError, ValueError):
    """A webhook fails a check; the message says which."""


def verify_webhook(
    app: App,
    key: str | None,
    signature: str | None,
    body: bytes | str,
    *,
    now_ms: float,
    max_age_ms: float = WEBHOOK_MAX_AGE_MS,
) -> dict[str, Any]:
    """The webhook's body as JSON (``time_ms`` and ``events``) if `app` sent it; `key` and
    `signature` are the ``X-Pusher-Key`` and ``X-Pusher-Signature`` headers, `now_ms` the
    clock's reading (Unix milliseconds)."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    if not key:
        raise InvalidWebhook("X-Pusher-Key is missing")
    if key != app.key:
        raise InvalidWebhook("X-Pusher-Key is not this app's key")
    if not signature:
        raise InvalidWebhook("X-Pusher-Signature is missing")
    if not same_signature(webhook_signature(app.secret, raw), signature):
        raise InvalidWebhook("X-Pusher-Signature does not sign this body with the app's secret")
    try:
        parsed = _json.loads(raw)
    except ValueError:
        raise InvalidWebhook("the body is not JSON") from None
    if not isinstance(parsed, dict):
        raise InvalidWebhook("the body is not a JSON object")
    time_ms = parsed.get("time_ms")
    if isinstance(time_ms, bool) or not isinstance(time_ms, int | float):
        raise InvalidWebhook("the body has no time_ms")
    if not isinstance(parsed.get("events"), list):
        raise InvalidWebhook("the body has no events array")
    if abs(now_ms - time_ms) > max_age_ms:
        raise InvalidWebhook(
            f"time_ms is more than {max_age_ms / 1000:g} s from this clock (a replayed or "
            "delayed webhook, or a clock that is wrong)"
        )
    return parsed
