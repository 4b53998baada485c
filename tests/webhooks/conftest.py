"""Helpers of the webhook tests: apps, and bodies signed by an oracle independent of the code
under test (the standard library's `hmac.new`)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from mesg_pusher._json import dumps
from mesg_pusher.pusher import App

APP = App(app_id="3", key="278d425bdf160c739803", secret="7ad3773142a6692b25b8")
OTHER = App(app_id="4", key="other-key", secret="other-secret-value")
NOW_MS = 1_700_000_000_000


def oracle_signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body_of(*events: dict[str, Any], time_ms: Any = NOW_MS) -> bytes:
    return dumps({"time_ms": time_ms, "events": list(events)}).encode()


def occupied(channel: str = "my-channel") -> dict[str, Any]:
    return {"name": "channel_occupied", "channel": channel}
