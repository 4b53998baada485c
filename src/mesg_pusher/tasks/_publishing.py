"""``trigger`` and ``triggerBatch``: events published through Pusher's ``events`` and
``batch_events`` endpoints, with ``info`` asked of the channels and end-to-end encryption for
``private-encrypted-`` channels."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from ..pusher import App, batch_answer, batch_request, publish_answer, trigger_request
from . import _inputs
from ._task import ApiTask, Call, Context


def _trigger(app: App, inputs: Mapping[str, Any], context: Context) -> Call:
    event = _inputs.event(inputs, context.nonce, context.limits.max_data_bytes)
    return Call(
        trigger_request(app, event, timestamp=context.timestamp),
        partial(publish_answer, info_asked=bool(event.info)),
    )


def _trigger_batch(app: App, inputs: Mapping[str, Any], context: Context) -> Call:
    events = _inputs.batch(inputs, context.nonce, context.limits)
    request = batch_request(
        app, events, timestamp=context.timestamp, max_events=context.limits.max_batch_events
    )
    return Call(request, partial(batch_answer, info_asked=any(e.info for e in events)))


TRIGGER = ApiTask("trigger", _trigger)
TRIGGER_BATCH = ApiTask("triggerBatch", _trigger_batch)
