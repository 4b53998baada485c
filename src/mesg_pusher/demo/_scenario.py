"""What the demo runs: a few executions a MESG application would send, and what each should
deliver. Pure data, so the run and its tests agree on the story."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..pusher import App

PUBLIC_CHANNEL = "demo-orders"
PRIVATE_CHANNEL = "private-demo-alerts"


@dataclass(frozen=True, slots=True)
class Step:
    """One execution: what it shows, the task and its inputs, and the output and the events
    (channel, event name) the subscriber should then see. `expect` is the output's data when
    it is known beforehand; `joins` a channel the subscriber then joins with the output (an
    authorization)."""

    title: str
    task: str
    inputs: dict[str, Any]
    output: str
    events: tuple[tuple[str, str], ...] = ()
    expect: dict[str, Any] | None = None
    joins: str | None = None


def steps(app: App, port: int) -> list[Step]:
    connection = {
        "appId": app.app_id,
        "key": app.key,
        "secret": app.secret,
        "host": "127.0.0.1",
        "port": port,
        "keepAlive": True,
        "timeout": 5000,
    }
    return [
        Step(
            "publish one event to one channel",
            "trigger",
            {
                **connection,
                "channel": PUBLIC_CHANNEL,
                "name": "order-created",
                "data": {"order": 1042, "total": "19.90 €"},
            },
            "success",
            ((PUBLIC_CHANNEL, "order-created"),),
        ),
        Step(
            "publish one event to a public and a private channel",
            "trigger",
            {
                **connection,
                "channels": [PUBLIC_CHANNEL, PRIVATE_CHANNEL],
                "name": "order-shipped",
                "data": {"order": 1042, "carrier": "parcel"},
            },
            "success",
            ((PUBLIC_CHANNEL, "order-shipped"), (PRIVATE_CHANNEL, "order-shipped")),
        ),
        Step(
            "publish a batch of two events in one call",
            "triggerBatch",
            {
                **connection,
                "batch": [
                    {"name": "stock-low", "channel": PRIVATE_CHANNEL, "data": {"sku": "A-7"}},
                    {"name": "order-created", "channel": PUBLIC_CHANNEL, "data": {"order": 1043}},
                ],
            },
            "success",
            ((PRIVATE_CHANNEL, "stock-low"), (PUBLIC_CHANNEL, "order-created")),
        ),
        Step(
            "a channel name Pusher would refuse: the service answers with the error output",
            "trigger",
            {**connection, "channel": "demo orders", "name": "order-created", "data": {}},
            "error",
        ),
        Step(
            "a wrong secret: the local server refuses the signature, as Pusher does",
            "trigger",
            {
                **connection,
                "secret": "not-the-secret",
                "channel": PUBLIC_CHANNEL,
                "name": "order-created",
                "data": {},
            },
            "error",
        ),
    ]
