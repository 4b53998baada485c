"""The engine's bookkeeping without the network: hand-over under the global lock, delivery only
to present listeners, one result per execution."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re

import pytest
from google.protobuf.message import DecodeError

from mesg_pusher.engine import Engine, EngineError, IdShape, Stream, messages
from mesg_pusher.mesg import Output as DeclaredOutput
from mesg_pusher.mesg import Parameter, load_packaged, words
from mesg_pusher.mesg.protocol.service_pb2 import TaskData

INPUTS = {
    "appId": "3",
    "key": "k",
    "secret": "s",
    "name": "ev",
    "data": {"z": 1, "a": "<b>"},
    "channel": "c",
}


async def next_task(stream: Stream[TaskData | bytes]) -> TaskData:
    """The next execution handed to `stream` (a decodable one)."""
    item = await stream.get()
    assert isinstance(item, TaskData)
    return item


async def test_an_execution_waits_until_every_listener_took_it_and_stalls_all_services() -> None:
    engine = Engine()
    other = engine.add_service(load_packaged())
    slow = engine.listen_tasks(engine.token)
    fast = engine.listen_tasks(other)
    first = asyncio.create_task(engine.execute(engine.token, "trigger", INPUTS))
    await asyncio.sleep(0.05)
    assert not first.done()  # nobody took it from `slow`
    second = asyncio.create_task(engine.execute(other, "trigger", INPUTS))
    await asyncio.sleep(0.05)
    assert not second.done()  # the global lock: the other service waits too
    taken = await next_task(slow)
    async with asyncio.timeout(5):
        execution_id = await first
        assert (await next_task(fast)).executionID == await second
    assert taken.executionID == execution_id
    assert taken.inputData == (
        '{"appId":"3","channel":"c","data":{"a":"\\u003cb\\u003e","z":1},'
        '"key":"k","name":"ev","secret":"s"}'
    )


async def test_an_execution_created_while_nobody_listens_is_never_delivered() -> None:
    engine = Engine()
    lost = await engine.execute(engine.token, "trigger", INPUTS)
    listener = engine.listen_tasks(engine.token)
    seen = asyncio.create_task(next_task(listener))
    delivered = await engine.execute(engine.token, "trigger", INPUTS)
    async with asyncio.timeout(5):
        assert (await seen).executionID == delivered
    assert lost in engine.in_progress


async def test_a_closed_listener_frees_the_publisher() -> None:
    engine = Engine()
    listener = engine.listen_tasks(engine.token)
    pending = asyncio.create_task(engine.execute(engine.token, "trigger", INPUTS))
    await asyncio.sleep(0.05)
    assert not pending.done()
    listener.close()
    async with asyncio.timeout(5):
        await pending
    assert engine.task_listeners() == 0


async def test_one_result_per_execution_and_refusals_leave_it_in_progress() -> None:
    engine = Engine()
    execution_id = await engine.execute(engine.token, "trigger", INPUTS)
    with pytest.raises(EngineError, match="Value of 'message' is required"):
        engine.submit_result(execution_id, "success", "{}")
    assert execution_id in engine.in_progress
    result = engine.submit_result(execution_id, "success", '{"message":"sent"}')
    assert result.data == {"message": "sent"}
    with pytest.raises(EngineError) as error:
        engine.submit_result(execution_id, "success", '{"message":"sent"}')
    assert str(error.value) == f"Execution {execution_id} doesn't exists"
    assert [s.error is None for s in engine.submissions] == [False, True, False]
    assert len(engine.refused()) == 2


async def test_inputs_are_validated_before_the_execution_exists() -> None:
    engine = Engine()
    with pytest.raises(EngineError) as error:
        await engine.execute(engine.token, "trigger", {"appId": 3})
    assert str(error.value) == (
        "Inputs of task 'trigger' are invalid. Value of 'appId' is not a string. "
        "Value of 'data' is required. Value of 'name' is required"
    )
    assert engine.executions_created == 0


async def test_deliver_hands_over_raw_task_data() -> None:
    engine = Engine()
    listener = engine.listen_tasks(engine.token)
    pending = asyncio.create_task(engine.deliver(engine.token, "nope", "{not json"))
    async with asyncio.timeout(5):
        task_data = await next_task(listener)
        assert task_data.executionID == await pending
    assert (task_data.taskKey, task_data.inputData) == ("nope", "{not json")


async def test_a_message_that_cannot_be_built_leaves_no_execution_behind() -> None:
    engine = Engine()
    with pytest.raises(UnicodeEncodeError):  # not UTF-8: no TaskData can carry it
        await engine.deliver(engine.token, "trigger", '{"a": "\ud800"}')
    assert engine.in_progress == {}
    assert engine.executions_created == 0


async def test_inputs_are_read_the_go_way_before_the_execution_exists() -> None:
    engine = Engine()
    listener = engine.listen_tasks(engine.token)
    text = json.dumps({**INPUTS, "data": {"a": "\ud800", "\udfff": 1}})  # escaped surrogates
    pending = asyncio.create_task(engine.execute(engine.token, "trigger", text))
    async with asyncio.timeout(5):
        task_data = await next_task(listener)
        await pending
    assert json.loads(task_data.inputData)["data"] == {"a": "\ufffd", "\ufffd": 1}
    refusals = [
        ("[" * 3000 + "]" * 3000, "invalid character '[' exceeded max depth"),
        ("[1e400]", "json: cannot unmarshal number 1e400 into Go value of type float64"),
        (
            "1" + "0" * 400,
            f"json: cannot unmarshal number 1{'0' * 400} into Go value of type float64",
        ),
    ]
    for data, message in refusals:
        text = json.dumps({**INPUTS, "data": "DATA"}).replace('"DATA"', data)
        with pytest.raises(EngineError) as error:
            await engine.execute(engine.token, "trigger", text)
        assert str(error.value) == message
    assert len(engine.in_progress) == 1  # the first one only


async def test_event_data_is_checked_in_the_engines_words() -> None:
    declared = DeclaredOutput("started", {"at": Parameter("at", type="Number")})
    engine = Engine(dataclasses.replace(load_packaged(), events={"started": declared}))
    engine.emit_event(engine.token, "started", '{"at": 1}')
    with pytest.raises(EngineError) as error:
        engine.emit_event(engine.token, "started", '{"at": "soon"}')
    assert str(error.value) == "Data of event 'started' is invalid. Value of 'at' is not a number"
    with pytest.raises(EngineError) as error:
        engine.emit_event(engine.token, "stopped", "{}")
    assert str(error.value) == "Event 'stopped' not found in service 'mesg-pusher'"


async def test_ids_take_either_shape_of_the_engine() -> None:
    joined = Engine(ids=IdShape.JOINED)
    listener = joined.listen_tasks(joined.token)
    pending = asyncio.create_task(joined.execute(joined.token, "trigger", INPUTS))
    async with asyncio.timeout(5):
        task_data = await next_task(listener)
        execution_id = await pending
    assert task_data.executionID == execution_id
    # The creation time as Go prints it, the service, the task, the inputs as Go encodes them.
    created, rest = execution_id.split(" UTC.", 1)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,9})? \+0000", created)
    assert rest == "mesg-pusher.trigger." + task_data.inputData
    digest = Engine()
    assert re.fullmatch("[0-9a-f]{40}", await digest.execute(digest.token, "trigger", INPUTS))


def test_go_prints_times_without_trailing_zeros() -> None:
    assert messages.go_time(1_796_117_141_188_702_065) == "2026-12-01 09:25:41.188702065 +0000 UTC"
    assert messages.go_time(1_796_117_141_500_000_000) == "2026-12-01 09:25:41.5 +0000 UTC"
    assert messages.go_time(1_796_117_141_000_000_000) == "2026-12-01 09:25:41 +0000 UTC"


async def test_raw_bytes_reach_the_listener_and_a_readable_id_is_in_progress() -> None:
    engine = Engine()
    listener = engine.listen_tasks(engine.token)
    pending = asyncio.create_task(engine.deliver_raw(engine.token, b"id-1", b"trigger", b"\xff"))
    async with asyncio.timeout(5):
        raw = await listener.get()
        assert await pending == "id-1"
    assert raw == b"\n\x04id-1\x12\x07trigger\x1a\x01\xff"
    assert isinstance(raw, bytes)
    with pytest.raises(DecodeError):
        TaskData.FromString(raw)  # what protobuf makes of it
    assert "id-1" in engine.in_progress
    pending = asyncio.create_task(engine.deliver_raw(engine.token, b"\xc3(", b"trigger", b"{}"))
    async with asyncio.timeout(5):
        await listener.get()
        assert await pending is None


async def test_redeliver_hands_the_same_execution_over_again() -> None:
    engine = Engine()
    listener = engine.listen_tasks(engine.token)
    pending = asyncio.create_task(engine.execute(engine.token, "trigger", INPUTS))
    async with asyncio.timeout(5):
        first = await next_task(listener)
        await pending
        again = asyncio.create_task(engine.redeliver(first.executionID))
        assert await next_task(listener) == first
        await again
    engine.submit_result(first.executionID, "success", '{"message":"sent"}')
    again = asyncio.create_task(engine.redeliver(first.executionID))  # answered: still known
    async with asyncio.timeout(5):
        assert await next_task(listener) == first
        await again


async def test_results_are_refused_in_the_words_asked_for() -> None:
    engine = Engine(gone_form=words.EXECUTION_NOT_IN_QUEUE)
    execution_id = await engine.execute(engine.token, "trigger", INPUTS)
    engine.refuse_next("database is locked", "Execution 42 doesn't exists")
    for text in ("database is locked", "Execution 42 doesn't exists"):
        with pytest.raises(EngineError, match=f"^{text}$"):
            engine.submit_result(execution_id, "success", '{"message":"sent"}')
    assert execution_id in engine.in_progress  # refusals leave it in progress
    engine.submit_result(execution_id, "success", '{"message":"sent"}')
    with pytest.raises(EngineError) as error:
        engine.submit_result(execution_id, "success", '{"message":"sent"}')
    assert str(error.value) == f"Execution '{execution_id}' not found in queue 'inProgress'"


async def test_a_frozen_engine_hands_nothing_over_until_thawed() -> None:
    engine = Engine()
    listener = engine.listen_tasks(engine.token)
    engine.freeze()
    pending = asyncio.create_task(engine.execute(engine.token, "trigger", INPUTS))
    taken = asyncio.create_task(next_task(listener))
    await asyncio.sleep(0.05)
    assert not taken.done()
    engine.thaw()
    async with asyncio.timeout(5):
        assert (await taken).executionID == await pending


async def test_an_event_is_read_as_the_engine_reads_it_json_first_then_key_then_data() -> None:
    engine = Engine()
    token = engine.token
    refusals = [
        (
            "nobody",
            "channel_occupied",
            "{}",
            "Database services: Service with hash 'nobody' not found",
        ),
        (
            token,
            "nope",
            "[1]",
            "json: cannot unmarshal array into Go value of type map[string]interface {}",
        ),
        (token, "nope", "{", "unexpected end of JSON input"),
        (token, "nope", "{}", "Event 'nope' not found in service 'mesg-pusher'"),
        (
            token,
            "member_added",
            '{"channel": 1, "time_ms": 5}',
            "Data of event 'member_added' is invalid. Value of 'app_key' is required. "
            "Value of 'channel' is not a string. Value of 'user_id' is required",
        ),
    ]
    for service, key, data, text in refusals:
        with pytest.raises(EngineError) as error:
            engine.emit_event(service, key, data)
        assert str(error.value) == text
    assert [e.error for e in engine.emissions] == [text for *_, text in refusals]
    assert engine.emitted() == []


async def test_an_event_reaches_the_listeners_of_that_moment_only_and_is_not_stored() -> None:
    engine = Engine()
    token = engine.token
    engine.emit_event(
        token, "channel_occupied", '{"channel": "early", "app_key": "k", "time_ms": 1}'
    )
    every = engine.listen_events(token)
    star = engine.listen_events(token, "*")
    vacated = engine.listen_events(token, "channel_vacated")
    assert engine.event_listeners() == 3
    engine.emit_event(token, "channel_occupied", '{"time_ms": 2, "channel": "a<b", "app_key": "k"}')
    engine.emit_event(
        token, "channel_vacated", '{"channel": "a<b", "app_key": "k", "time_ms": 3, "extra": true}'
    )
    async with asyncio.timeout(5):
        seen = [await every.get(), await every.get()]
        assert [await star.get(), await star.get()] == seen
        only = await vacated.get()
    # Published as Go re-encodes the decoded data: keys sorted, <>& escaped, extra keys kept.
    assert [(e.eventKey, e.eventData) for e in seen] == [
        ("channel_occupied", '{"app_key":"k","channel":"a\\u003cb","time_ms":2}'),
        ("channel_vacated", '{"app_key":"k","channel":"a\\u003cb","extra":true,"time_ms":3}'),
    ]
    assert only == seen[1]
    every.close()
    assert engine.event_listeners() == 2
    assert [e.event_key for e in engine.emitted()] == [
        "channel_occupied",
        "channel_occupied",
        "channel_vacated",
    ]


async def test_listening_to_an_undeclared_event_is_refused() -> None:
    engine = Engine()
    with pytest.raises(EngineError) as error:
        engine.listen_events(engine.token, "started")
    assert str(error.value) == "Event 'started' not found in service 'mesg-pusher'"
    with pytest.raises(EngineError) as error:
        engine.listen_events("nobody")
    assert str(error.value) == "Database services: Service with hash 'nobody' not found"
    assert engine.event_listeners() == 0
