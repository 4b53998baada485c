"""Which of a webhook's events become MESG events: an operator may choose them by kind (the
mesg.yml event keys) and by channel name prefix, as soketi lets an app choose its webhooks. An
event becomes one when its kind is chosen (or none is named) and its channel starts with a
chosen prefix (or none is named). The others are left out: counted, never emitted; a webhook
whose every event is left out is answered 200 all the same (``_decision.py``), so the sender
does not retry it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ._parse import WebhookEvent


@dataclass(frozen=True, slots=True)
class WebhookFilter:
    """The chosen event kinds (none: every kind) and channel name prefixes (none: every
    channel)."""

    events: frozenset[str] = frozenset()
    channel_prefixes: tuple[str, ...] = ()

    def keeps(self, event: WebhookEvent) -> bool:
        """Whether `event` becomes a MESG event."""
        if self.events and event.key not in self.events:
            return False
        if not self.channel_prefixes:
            return True
        channel = event.data.get("channel")
        return isinstance(channel, str) and channel.startswith(self.channel_prefixes)

    def split(
        self, events: Iterable[WebhookEvent]
    ) -> tuple[tuple[WebhookEvent, ...], tuple[WebhookEvent, ...]]:
        """`events` kept, in order, and those left out."""
        kept: list[WebhookEvent] = []
        left_out: list[WebhookEvent] = []
        for event in events:
            (kept if self.keeps(event) else left_out).append(event)
        return tuple(kept), tuple(left_out)


#: Every event of every channel.
EVERY_EVENT = WebhookFilter()
