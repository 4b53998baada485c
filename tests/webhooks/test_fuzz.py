"""Whatever arrives, reading a webhook either gives events that pass the engine's rules or
refuses it with `WebhookRefused`: never another exception."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mesg_pusher._json import dumps
from mesg_pusher.mesg import load_packaged, validate
from mesg_pusher.webhooks import WebhookRefused, parse

from .conftest import APP

pytestmark = pytest.mark.slow

NAMES = [*sorted(load_packaged().events), "other", ""]
FIELDS = ["channel", "user_id", "event", "data", "socket_id", "subscription_count", "name"]
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
EVENT = st.fixed_dictionaries(
    {"name": st.sampled_from(NAMES)},
    optional={field: JSON | st.text(max_size=10) for field in FIELDS[:-1]},
)


def _read(body: bytes) -> None:
    try:
        webhook = parse(body, app_key=APP.key)
    except WebhookRefused:
        return
    declared = load_packaged().events
    for event in webhook.events:
        assert validate(declared[event.key].data, event.data) == []


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes(body: bytes) -> None:
    _read(body)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(JSON, st.integers(min_value=-1, max_value=2**60), st.text()),
    st.lists(EVENT | JSON, max_size=4),
)
def test_any_json_shape(time_ms: Any, events: list[Any]) -> None:
    _read(dumps({"time_ms": time_ms, "events": events}).encode())
