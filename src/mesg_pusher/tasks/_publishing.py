"""``trigger`` and ``triggerBatch``: events published through Pusher's ``events`` and
``batch_events`` endpoints, with ``info`` asked of the channels and end-to-end encryption for
``private-encrypted-`` channels.

With ``split: true``, a channel list longer than Pusher's 100 becomes the same event to each
run of 100, and a batch longer than ``maxBatchEvents`` becomes batches of that many, sent one
after the other in their order, so each channel gets its events in the order given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from ..pusher import (
    App,
    BatchEvent,
    Event,
    batch_answer,
    batch_request,
    publish_answer,
    trigger_request,
)
from . import _inputs
from ._outputs import SENT
from ._task import ApiTask, Call, Context, Split


def _trigger(app: App, inputs: Mapping[str, Any], context: Context) -> Call | Split:
    max_data_bytes = context.limits.max_data_bytes
    if not _inputs.split(inputs):
        return _event_call(app, _inputs.event(inputs, context.nonce, max_data_bytes))
    events = _inputs.split_events(inputs, context.nonce, max_data_bytes)
    calls = tuple(_event_call(app, event) for event in events)
    return Split(calls, partial(_merged_channels, bool(events[0].info)), "channels")


def _event_call(app: App, event: Event) -> Call:
    return Call(
        lambda timestamp: trigger_request(app, event, timestamp=timestamp),
        partial(publish_answer, info_asked=bool(event.info)),
        len(event.channels),
    )


def _merged_channels(info_asked: bool, answers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One ``success`` for a split ``trigger``: the attributes of every run's channels."""
    data: dict[str, Any] = {"message": SENT, "calls": len(answers)}
    if info_asked:
        channels: dict[str, Any] = {}
        for answer in answers:
            channels.update(answer.get("channels") or {})
        data["channels"] = channels
    return data


def _trigger_batch(app: App, inputs: Mapping[str, Any], context: Context) -> Call | Split:
    limits = context.limits
    split = _inputs.split(inputs)
    events = _inputs.batch(inputs, context.nonce, limits, split=split)
    most = limits.max_batch_events
    if not split:
        return _batch_call(app, events, most, any(e.info for e in events))
    info_asked = any(e.info for e in events)
    runs = [events[start : start + most] for start in range(0, len(events), most)]
    calls = tuple(_batch_call(app, run, most, info_asked) for run in runs)
    return Split(calls, partial(_merged_batch, info_asked, [len(run) for run in runs]), "events")


def _batch_call(app: App, events: Sequence[BatchEvent], most: int, info_asked: bool) -> Call:
    return Call(
        lambda timestamp: batch_request(app, events, timestamp=timestamp, max_events=most),
        partial(batch_answer, info_asked=info_asked),
        len(events),
    )


def _merged_batch(
    info_asked: bool, sizes: Sequence[int], answers: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """One ``success`` for a split ``triggerBatch``: item i of ``batch`` still answers event i
    (a run whose answer has no attributes gives an empty object for each of its events)."""
    data: dict[str, Any] = {"message": SENT, "calls": len(answers)}
    if info_asked:
        items: list[Any] = []
        for size, answer in zip(sizes, answers, strict=True):
            got = answer.get("batch")
            items.extend(got if isinstance(got, list) and len(got) == size else [{}] * size)
        data["batch"] = items
    return data


TRIGGER = ApiTask("trigger", _trigger, publishes=True)
TRIGGER_BATCH = ApiTask("triggerBatch", _trigger_batch, publishes=True)
