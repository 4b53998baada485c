"""Which configured app signed a webhook: the app key in ``X-Pusher-Key`` names the candidates,
the ``X-Pusher-Signature`` beside it must be the signature of the raw body with one's secret.

The signature itself is Pusher's, written once in the Pusher core (`pusher.webhook_signature`,
the lower-case hex HMAC-SHA256 of the raw body keyed with the app secret), where the local
server's sender takes it too; `verify` compares in constant time. Keys are public (they name
the app); secrets never leave this module's callers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from ..pusher import same_signature, webhook_signature
from ._outcomes import WebhookOutcome, WebhookRefused

KEY_HEADER = "X-Pusher-Key"
SIGNATURE_HEADER = "X-Pusher-Signature"


class Credentials(Protocol):
    """What verifying needs of an app: its key and secret (`mesg_pusher.pusher.App` has them)."""

    @property
    def key(self) -> str: ...

    @property
    def secret(self) -> str: ...


C = TypeVar("C", bound=Credentials)


def signers(apps: Sequence[C], key: str | None) -> list[C]:
    """The apps whose key is `key`: several when a secret is being rotated. Raises
    `WebhookRefused` when there is none (no app, a missing or unknown key); a receiver can
    ask before it reads the body."""
    if not apps:
        raise WebhookRefused(WebhookOutcome.NO_APP)
    if not key:
        raise WebhookRefused(WebhookOutcome.UNKNOWN_KEY, f"{KEY_HEADER} is missing")
    candidates = [app for app in apps if app.key == key]
    if not candidates:
        raise WebhookRefused(WebhookOutcome.UNKNOWN_KEY)
    return candidates


def verify(apps: Sequence[C], key: str | None, given: str | None, body: bytes) -> C:
    """The app whose key is `key` and whose secret signed `body` as `given` says.

    Several apps may share a key (a secret being rotated): any of them may have signed.
    Raises `WebhookRefused` (unknown key, or a missing or wrong signature).
    """
    candidates = signers(apps, key)
    if not given:
        raise WebhookRefused(WebhookOutcome.BAD_SIGNATURE, f"{SIGNATURE_HEADER} is missing")
    for app in candidates:
        if same_signature(webhook_signature(app.secret, body), given):
            return app
    raise WebhookRefused(WebhookOutcome.BAD_SIGNATURE)
