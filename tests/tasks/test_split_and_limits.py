"""Batches and channel lists of any size with `split`, and the limits `maxDataBytes` and
`maxBatchEvents` raise, through the mock transport: the calls made, in order; what a failure
part way says; the rules naming the item where the whole list names it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mesg_pusher.pusher import Connection, HttpRequest, MockTransport
from mesg_pusher.tasks import ServiceEnvironment, TaskOutput, TaskRunner
from tests.tasks.conftest import batch_inputs, trigger_inputs


async def no_wait(seconds: float) -> None:
    return None


def events(count: int, channel: str = "room") -> list[dict[str, Any]]:
    return [{"name": f"e{i}", "channel": channel, "data": {"i": i}} for i in range(count)]


def recording(answer: Any = None) -> MockTransport:
    """A transport answering 200 (or as `answer(request, index)` says) to every request."""

    def handle(connection: Connection, request: HttpRequest) -> tuple[int, bytes]:
        if answer is None:
            return 200, b"{}"
        result: tuple[int, bytes] = answer(request, len(transport.sent) - 1)
        return result

    transport = MockTransport(handle)
    return transport


def runner_on(transport: MockTransport, environ: dict[str, str] | None = None) -> TaskRunner:
    environment = ServiceEnvironment.read(environ or {})
    return TaskRunner(transport, sleep=no_wait, environment=environment)


def batches(transport: MockTransport) -> list[list[str]]:
    return [[e["name"] for e in json.loads(r.body)["batch"]] for _, r in transport.sent]


async def test_a_split_batch_goes_in_calls_of_max_batch_events_in_order() -> None:
    transport = recording()
    output = await runner_on(transport).execute(
        "triggerBatch", batch_inputs(events(25), split=True)
    )
    assert output == TaskOutput("success", {"message": "sent", "calls": 3})
    names = [f"e{i}" for i in range(25)]
    assert batches(transport) == [names[:10], names[10:20], names[20:]]


async def test_max_batch_events_raises_the_limit_and_sizes_the_calls() -> None:
    transport = recording()
    output = await runner_on(transport).execute(
        "triggerBatch", batch_inputs(events(25), split=True, maxBatchEvents=20)
    )
    assert output.data == {"message": "sent", "calls": 2}
    assert [len(b) for b in batches(transport)] == [20, 5]
    transport = recording()
    output = await runner_on(transport, {"PUSHER_MAX_BATCH_EVENTS": "25"}).execute(
        "triggerBatch", batch_inputs(events(25))
    )
    assert output == TaskOutput.success()
    assert [len(b) for b in batches(transport)] == [25]


async def test_split_on_what_fits_is_one_call_that_says_so() -> None:
    transport = recording()
    output = await runner_on(transport).execute("triggerBatch", batch_inputs(events(3), split=True))
    assert output.data == {"message": "sent", "calls": 1}
    output = await runner_on(transport).execute("trigger", trigger_inputs(split=True))
    assert output.data == {"message": "sent", "calls": 1}
    assert len(transport.sent) == 2


async def test_without_split_a_long_batch_is_refused_before_anything_is_sent() -> None:
    transport = recording()
    output = await runner_on(transport).execute("triggerBatch", batch_inputs(events(25)))
    assert output.data == {
        "error": "batch: a batch holds at most 10 events (got 25); with split: true it is sent "
        "in calls of 10",
        "kind": "input",
        "retry": "useless",
    }
    output = await runner_on(transport).execute(
        "trigger", trigger_inputs(channel=None, channels=[f"c{i}" for i in range(101)])
    )
    assert output.data["error"] == (
        "channels: an event goes to at most 100 channels (got 101); with split: true it is sent "
        "in calls of 100"
    )
    assert transport.sent == []


async def test_a_split_batch_answers_info_item_by_item() -> None:
    batch = events(12)
    batch[11] = {**batch[11], "channel": "presence-room", "info": "user_count"}

    def answer(request: HttpRequest, index: int) -> tuple[int, bytes]:
        if index == 1:  # the second run holds the event that asked
            return 200, json.dumps({"batch": [{}, {"user_count": 2}]}).encode()
        return 200, b"{}"  # the first run asked nothing: Pusher gives no attributes

    output = await runner_on(recording(answer)).execute(
        "triggerBatch", batch_inputs(batch, split=True)
    )
    assert output.data == {"message": "sent", "calls": 2, "batch": [{}] * 11 + [{"user_count": 2}]}


async def test_a_long_channel_list_is_split_in_runs_of_100() -> None:
    names = [f"c{i}" for i in range(250)]

    def answer(request: HttpRequest, index: int) -> tuple[int, bytes]:
        sent = json.loads(request.body)["channels"]
        attributes = {name: {"subscription_count": index} for name in sent}
        return 200, json.dumps({"channels": attributes}).encode()

    transport = recording(answer)
    output = await runner_on(transport).execute(
        "trigger",
        trigger_inputs(channel=None, channels=names, split=True, info="subscription_count"),
    )
    assert output.key == "success", output
    sent = [json.loads(r.body) for _, r in transport.sent]
    assert [body["channels"] for body in sent] == [names[:100], names[100:200], names[200:]]
    assert {body["name"] for body in sent} == {"my-event"}
    assert output.data["calls"] == 3
    assert output.data["channels"]["c0"] == {"subscription_count": 0}
    assert output.data["channels"]["c249"] == {"subscription_count": 2}
    assert len(output.data["channels"]) == 250


async def test_the_rules_name_the_item_where_the_whole_list_names_it() -> None:
    transport = recording()
    names = [f"c{i}" for i in range(250)]
    names[150] = "bad name"
    output = await runner_on(transport).execute(
        "trigger", trigger_inputs(channel=None, channels=names, split=True)
    )
    assert output.data["error"].startswith('channels[150]: channel name "bad name" has the')
    names[150] = "private-encrypted-x"
    output = await runner_on(transport).execute(
        "trigger", trigger_inputs(channel=None, channels=names, split=True)
    )
    assert output.data["error"].startswith("channels[150]: an event for a private-encrypted-")
    batch = events(25)
    batch[23] = {**batch[23], "channel": "bad name"}
    output = await runner_on(transport).execute("triggerBatch", batch_inputs(batch, split=True))
    assert output.data["error"].startswith('batch[23].channel: channel name "bad name"')
    assert transport.sent == []


async def test_a_failure_part_way_says_what_was_published_before_it() -> None:
    def answer(request: HttpRequest, index: int) -> tuple[int, bytes]:
        return (500, b"oops") if index == 1 else (200, b"{}")

    transport = recording(answer)
    output = await runner_on(transport).execute(
        "triggerBatch", batch_inputs(events(25), split=True)
    )
    assert output.data == {
        "error": "Pusher answered 500 Internal Server Error: oops; 10 of the 25 events were "
        "published (the first 10, in order) before this failure",
        "kind": "server",
        "retry": "unsafe",
        "status": 500,
        "published": 10,
    }
    assert len(transport.sent) == 2  # the 500 may have published: not tried again, no key


async def test_a_safe_failure_part_way_is_tried_again_and_the_rest_goes_on() -> None:
    def answer(request: HttpRequest, index: int) -> tuple[int, bytes]:
        return (503, b"busy") if index == 1 else (200, b"{}")

    transport = recording(answer)
    output = await runner_on(transport).execute(
        "triggerBatch", batch_inputs(events(25), split=True)
    )
    assert output.data == {"message": "sent", "calls": 3}
    assert [len(b) for b in batches(transport)] == [10, 10, 10, 5]  # the 2nd run twice


async def test_a_safe_failure_after_a_publish_is_no_longer_safe_to_retry_whole() -> None:
    def answer(request: HttpRequest, index: int) -> tuple[int, bytes]:
        return (503, b"busy") if index >= 2 else (200, b"{}")

    transport = recording(answer)
    output = await runner_on(transport).execute(
        "triggerBatch", batch_inputs(events(25), split=True)
    )
    assert (output.data["kind"], output.data["retry"], output.data["published"]) == (
        "server",
        "unsafe",
        20,
    )
    assert output.data["error"].endswith(
        "(after 3 tries); 20 of the 25 events were published (the first 20, in order) before "
        "this failure"
    )


async def test_max_data_bytes_raises_the_data_limit() -> None:
    data = {"text": "x" * 15_000}
    transport = recording()
    output = await runner_on(transport).execute("trigger", trigger_inputs(data=data))
    assert output.data["error"].startswith("data: event data is at most 10240 bytes")
    for task_inputs in (
        trigger_inputs(data=data, maxDataBytes=20_000),
        batch_inputs([{"name": "e", "channel": "c", "data": data}], maxDataBytes=20_000),
    ):
        task = "trigger" if "data" in task_inputs else "triggerBatch"
        output = await runner_on(transport).execute(task, task_inputs)
        assert output.key == "success", output
    output = await runner_on(transport, {"PUSHER_MAX_DATA_BYTES": "20000"}).execute(
        "sendToUser",
        {**trigger_inputs(), "userId": "ada", "data": data, "channel": None},
    )
    assert output.key == "success", output
    assert len(transport.sent) == 3


@pytest.mark.parametrize(
    ("name", "value", "rule"),
    [
        ("maxDataBytes", 0, "a whole number from 1 to 10485760 is expected"),
        ("maxDataBytes", 10_485_761, "a whole number from 1 to 10485760 is expected"),
        ("maxDataBytes", 2.5, "a whole number from 1 to 10485760 is expected"),
        ("maxBatchEvents", 0, "a whole number from 1 to 1000 is expected"),
        ("maxBatchEvents", 1001, "a whole number from 1 to 1000 is expected"),
    ],
)
async def test_limits_out_of_bounds_are_input_errors(name: str, value: float, rule: str) -> None:
    transport = recording()
    output = await runner_on(transport).execute(
        "triggerBatch", batch_inputs(events(2), **{name: value})
    )
    assert output.data == {"error": f"{name}: {rule}", "kind": "input", "retry": "useless"}
    assert transport.sent == []


@pytest.mark.parametrize(
    ("variable", "value", "rule"),
    [
        ("PUSHER_MAX_DATA_BYTES", "0", "a whole number from 1 to 10485760 is expected"),
        ("PUSHER_MAX_DATA_BYTES", "lots", "a whole number from 1 to 10485760 is expected"),
        ("PUSHER_MAX_BATCH_EVENTS", "1001", "a whole number from 1 to 1000 is expected"),
        ("PUSHER_MAX_BATCH_EVENTS", "99999999999999999999", "a whole number from 1 to 1000"),
    ],
)
async def test_a_bad_limit_variable_is_named(variable: str, value: str, rule: str) -> None:
    transport = recording()
    output = await runner_on(transport, {variable: value}).execute(
        "triggerBatch", batch_inputs(events(2))
    )
    assert output.key == "error"
    assert output.data["error"].startswith(f"{variable}: {rule}")
    assert output.data["kind"] == "input"
    assert transport.sent == []


async def test_a_failure_on_the_first_call_says_nothing_went_out() -> None:
    transport = recording(lambda request, index: (401, b"Invalid signature"))
    output = await runner_on(transport).execute(
        "triggerBatch", batch_inputs(events(25), split=True)
    )
    assert output.data == {
        "error": "Pusher answered 401 Unauthorized: Invalid signature; none of the 25 events "
        "was published before this failure",
        "kind": "auth",
        "retry": "useless",
        "status": 401,
        "published": 0,
    }
    assert len(transport.sent) == 1
