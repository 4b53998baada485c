"""The webhook signature, written once: the lower-case hex HMAC-SHA256 of the raw body keyed with
the app secret, sent as ``X-Pusher-Signature`` beside the app key in ``X-Pusher-Key``.

The local server signs with `signature`; a receiver checks with `verify`, which compares in
constant time. Keys are public (they name the app); secrets never leave this module's callers.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Protocol, TypeVar

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


def signature(secret: str, body: bytes) -> str:
    """The ``X-Pusher-Signature`` of `body`: hex HMAC-SHA256 keyed with `secret`."""
    return hmac.digest(secret.encode("utf-8"), body, "sha256").hex()


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
    # Header text may hold anything; compared as bytes so no input can make the check raise.
    offered = given.encode("utf-8", "surrogatepass")
    for app in candidates:
        if hmac.compare_digest(signature(app.secret, body).encode("ascii"), offered):
            return app
    raise WebhookRefused(WebhookOutcome.BAD_SIGNATURE)
