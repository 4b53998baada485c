"""Properties of the failure kinds and of the retry loop: the classification is total and
consistent, and no sequence of failures, whatever the server did with each request, makes the
service publish an event twice without an idempotencyKey, or call a failure `safe` when
something was published."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesg_pusher import (
    InputError,
    MesgPusherError,
    PusherConnectionError,
    PusherError,
    PusherHTTPError,
    PusherTimeoutError,
)
from mesg_pusher.pusher import Connection, HttpRequest, MockTransport
from mesg_pusher.tasks import Failure, Kind, Retry, TaskRunner, classify
from tests.fuzz.strategies import DEFINITION, run, valid_inputs

pytestmark = pytest.mark.slow

URL = "http://127.0.0.1:9/apps/3/events"

errors: st.SearchStrategy[BaseException] = st.one_of(
    st.builds(
        PusherHTTPError,
        st.integers(0, 999),
        st.text(max_size=5),
        st.text(max_size=5),
        st.binary(max_size=5),
        st.none() | st.just("http://proxy:3128"),
    ),
    st.builds(
        PusherConnectionError,
        st.just(URL),
        st.text(max_size=5),
        sent=st.booleans(),
        lasting=st.booleans(),
    ),
    st.builds(PusherTimeoutError, st.just(URL), st.floats(1, 1e6), sent=st.booleans()),
    st.builds(PusherError, st.text(max_size=5)),
    st.builds(InputError, st.text(max_size=5), st.text(max_size=5)),
    st.builds(MesgPusherError, st.text(max_size=5)),
    st.sampled_from([KeyError("k"), ValueError("v"), RuntimeError("r"), TypeError("t")]),
)


@given(errors, st.booleans(), st.integers(0, 10_000))
def test_the_classification_is_total_and_consistent(
    error: BaseException, publishes: bool, published: int
) -> None:
    failure = classify(error, publishes=publishes, published=published)
    assert isinstance(failure.kind, Kind)
    assert isinstance(failure.retry, Retry)
    assert failure == classify(error, publishes=publishes, published=published)  # pure
    # A status exactly when an answer came with one.
    if isinstance(error, PusherHTTPError):
        assert failure.status == error.status
    else:
        assert failure.status is None
    # Whether the call publishes changes unsafe to safe, and nothing else.
    other = classify(error, publishes=not publishes)
    alone = classify(error, publishes=publishes)
    assert other.kind == alone.kind
    if Retry.UNSAFE in (alone.retry, other.retry):
        assert {alone.retry, other.retry} == {Retry.UNSAFE, Retry.SAFE}
    else:
        assert alone.retry == other.retry
    if not publishes and not published:
        assert failure.retry is not Retry.UNSAFE
    # Once something was published, retrying the whole is never safe.
    if published:
        assert failure.retry is not Retry.SAFE
    # Nothing written, and nothing before it: never unsafe.
    if isinstance(error, PusherConnectionError) and not error.sent and not published:
        assert failure.retry is not Retry.UNSAFE
    # What only the service says of itself never comes of an exception.
    assert failure.kind not in (Kind.OVERLOADED, Kind.STOPPED)


#: What a server may do with one request: (published?, what the client sees). A status the
#: contract reads as "not acted on" (408, 429, 503) and a failure before the write never
#: publish; anything else may or may not.
OUTCOMES: dict[str, tuple[bool, Any]] = {
    "ok": (True, (200, b"{}")),
    "refused": (False, PusherConnectionError(URL, "refused", sent=False)),
    "certificate": (False, PusherConnectionError(URL, "bad", sent=False, lasting=True)),
    "timeout-before-write": (False, PusherTimeoutError(URL, 100, sent=False)),
    "reset-before-read": (False, PusherConnectionError(URL, "reset", sent=True)),
    "reset-after-read": (True, PusherConnectionError(URL, "reset", sent=True)),
    "timeout-unpublished": (False, PusherTimeoutError(URL, 100, sent=True)),
    "timeout-published": (True, PusherTimeoutError(URL, 100, sent=True)),
    "500-unpublished": (False, (500, b"oops")),
    "500-published": (True, (500, b"oops")),
    "502-published": (True, (502, b"bad gateway")),
    "504-published": (True, (504, b"gateway timeout")),
    "503": (False, (503, b"busy")),
    "429": (False, (429, b"slow down")),
    "408": (False, (408, b"too slow")),
    "401": (False, (401, b"bad signature")),
    "403": (False, (403, b"over quota")),
    "413": (False, (413, b"too large")),
    "400": (False, (400, b"bad")),
}


@dataclass
class Server:
    """Plays `script`, one outcome a request ("ok" once it runs out), counting each event that
    was published."""

    script: list[str]
    published: Counter[str] = field(default_factory=Counter)
    requests: int = 0

    def answer(self, connection: Connection, request: HttpRequest) -> tuple[int, bytes]:
        self.requests += 1
        name = self.script.pop(0) if self.script else "ok"
        publishes, seen = OUTCOMES[name]
        if publishes:
            body = json.loads(request.body)
            for event in body.get("batch") or [body]:
                self.published[event["name"]] += 1
        if isinstance(seen, BaseException):
            raise seen
        status, text = seen
        return status, text


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def execute(task: str, inputs: dict[str, Any], server: Server) -> dict[str, Any]:
    clock = Clock()
    runner = TaskRunner(
        MockTransport(server.answer),
        definition=DEFINITION,
        timer=clock.time,
        sleep=clock.sleep,
        draw=lambda: 0.5,
    )
    output = run(runner.execute(task, json.dumps(inputs)))
    return {"key": output.key, **output.data}


scripts = st.lists(st.sampled_from(sorted(OUTCOMES)), max_size=40)


@given(scripts, st.integers(0, 10), st.integers(1, 30), st.integers(1, 12))
def test_no_sequence_of_failures_publishes_an_event_twice_without_a_key(
    script: list[str], retries: int, count: int, per_call: int
) -> None:
    server = Server(list(script))
    inputs = valid_inputs("triggerBatch", "s" * 20)
    inputs["batch"] = [{"name": f"e{i}", "channel": "room", "data": "x"} for i in range(count)]
    inputs.update(retries=retries, split=True, maxBatchEvents=per_call, timeout=3_600_000)
    output = execute("triggerBatch", inputs, server)
    assert all(times == 1 for times in server.published.values()), server.published
    calls = -(-count // per_call)
    if output["key"] == "success":
        assert sorted(server.published) == sorted(f"e{i}" for i in range(count))
        assert output["calls"] == calls
        return
    # A failure says what it knows: safe means nothing was published, and `published` counts
    # the events of the calls Pusher accepted, the first ones in order.
    if output["retry"] == "safe":
        assert not server.published
    if calls > 1:
        confirmed = output["published"]
        assert confirmed % per_call == 0
        assert all(server.published[f"e{i}"] == 1 for i in range(confirmed))
        if confirmed:
            assert output["retry"] != "safe"
    else:
        assert "published" not in output
    assert server.requests <= calls * (retries + 1)


@given(scripts, st.integers(0, 10))
def test_a_single_publish_is_never_sent_again_after_it_may_have_gone_out(
    script: list[str], retries: int
) -> None:
    server = Server(list(script))
    inputs = {**valid_inputs("trigger", "s" * 20), "retries": retries, "timeout": 3_600_000}
    output = execute("trigger", inputs, server)
    assert server.published["my-event"] <= 1
    if output["key"] == "error":
        failure = Failure(Kind(output["kind"]), Retry(output["retry"]), output.get("status"))
        assert failure.retry is not Retry.SAFE or not server.published
        assert server.requests <= retries + 1
        tried = script[: server.requests]
        # Every try but the last failed safely: an unsafe or useless one ends the tries.
        for name in tried[:-1]:
            publishes, seen = OUTCOMES[name]
            assert not publishes
            assert classify(_as_error(seen)).retry is Retry.SAFE


@given(scripts, st.integers(0, 10))
def test_with_a_key_only_unsafe_and_safe_failures_are_tried_again(
    script: list[str], retries: int
) -> None:
    server = Server(list(script))
    inputs = {
        **valid_inputs("trigger", "s" * 20),
        "retries": retries,
        "timeout": 3_600_000,
        "idempotencyKey": "order-1",
    }
    output = execute("trigger", inputs, server)
    assert server.requests <= retries + 1
    for name in script[: server.requests - 1]:
        retry = classify(_as_error(OUTCOMES[name][1])).retry
        assert retry in (Retry.SAFE, Retry.UNSAFE)
    if output["key"] == "success":
        assert server.published["my-event"] >= 1


def _as_error(seen: Any) -> BaseException:
    if isinstance(seen, BaseException):
        return seen
    status, _ = seen
    return PusherHTTPError(status, "", "", b"")
