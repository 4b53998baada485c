"""Helpers of the webhook tests: apps, an intake with its bodies' records, and bodies signed by
an oracle independent of the code under test (the standard library's `hmac.new`)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from mesg_pusher._json import dumps
from mesg_pusher.pusher import App
from mesg_pusher.webhooks import (
    BodyRecord,
    Intake,
    Setback,
    Ticket,
    WebhookResponse,
    body_progress,
    claim_body,
)

APP = App(app_id="3", key="278d425bdf160c739803", secret="7ad3773142a6692b25b8")
OTHER = App(app_id="4", key="other-key", secret="other-secret-value")
NOW_MS = 1_700_000_000_000


def oracle_signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body_of(*events: dict[str, Any], time_ms: Any = NOW_MS) -> bytes:
    return dumps({"time_ms": time_ms, "events": list(events)}).encode()


def occupied(channel: str = "my-channel") -> dict[str, Any]:
    return {"name": "channel_occupied", "channel": channel}


def largest_genuine_body(time_ms: int = NOW_MS) -> bytes:
    """The largest body Pusher's limits allow, written by a sender that escapes everything
    outside ASCII (``json.dumps``' default): 20 client events (a batch's most), each with 10,240
    bytes of data made of a control character (6 bytes each as ``\\u0001``), an event name of 200
    characters and a user id of 128 outside the Basic Multilingual Plane (12 bytes each as a
    surrogate pair), a channel name of 200 and a long socket id."""
    event = {
        "name": "client_event",
        "channel": "presence-" + "c" * 191,
        "event": "client-" + "\U0001f600" * 193,
        "data": "\x01" * 10240,
        "socket_id": "1" * 31 + "." + "2" * 32,
        "user_id": "\U0001f600" * 128,
    }
    return json.dumps({"time_ms": time_ms, "events": [event] * 20}, separators=(",", ":")).encode()


class Remembered:
    """An intake and the records of its bodies, as the service's store keeps them."""

    def __init__(self, intake: Intake[App]) -> None:
        self.intake = intake
        self.records: dict[bytes, BodyRecord] = {}
        self.claims = 0

    def open(self, *, key: str, signature: str | None, body: bytes, now_ms: float) -> Ticket[App]:
        verified = self.intake.check(key=key, signature=signature, body=body, now_ms=now_ms)
        kept, left_out = self.intake.split(verified)
        if left_out and not kept:
            return Ticket(verified, None, kept, left_out)
        self.claims += 1
        claim, record = claim_body(
            self.records.get(verified.digest),
            digest=verified.digest,
            owner=str(self.claims),
            events=len(kept),
            now_ms=now_ms,
            in_progress_ms=10_000,
        )
        if record is not None:
            self.records[verified.digest] = record
        return Ticket(verified, claim, kept, left_out)

    def close(
        self, ticket: Ticket[App], done: int, setback: Setback | None = None
    ) -> WebhookResponse:
        claim = ticket.claim
        if claim is not None and claim.kind == "new":
            _, moved = body_progress(
                self.records.get(claim.digest),
                owner=claim.owner,
                done=claim.start + done,
                unanswered=0,
                release=True,
            )
            if moved is not None:
                self.records[claim.digest] = moved
        return self.intake.close(ticket, done, setback)
