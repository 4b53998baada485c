"""The engine's bookkeeping without the network: hand-over under the global lock, delivery only
to present listeners, one result per execution."""

from __future__ import annotations

import asyncio
import dataclasses
import json

import pytest

from mesg_pusher.engine import Engine, EngineError
from mesg_pusher.mesg import Output as DeclaredOutput
from mesg_pusher.mesg import Parameter, load_packaged

INPUTS = {
    "appId": "3",
    "key": "k",
    "secret": "s",
    "name": "ev",
    "data": {"z": 1, "a": "<b>"},
    "channel": "c",
}


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
    taken = await slow.get()
    async with asyncio.timeout(5):
        execution_id = await first
        assert (await fast.get()).executionID == await second
    assert taken.executionID == execution_id
    assert taken.inputData == (
        '{"appId":"3","channel":"c","data":{"a":"\\u003cb\\u003e","z":1},'
        '"key":"k","name":"ev","secret":"s"}'
    )


async def test_an_execution_created_while_nobody_listens_is_never_delivered() -> None:
    engine = Engine()
    lost = await engine.execute(engine.token, "trigger", INPUTS)
    listener = engine.listen_tasks(engine.token)
    seen = asyncio.create_task(listener.get())
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
        "Value of 'data' is required. Value of 'key' is required. "
        "Value of 'name' is required. Value of 'secret' is required"
    )
    assert engine.executions_created == 0


async def test_deliver_hands_over_raw_task_data() -> None:
    engine = Engine()
    listener = engine.listen_tasks(engine.token)
    pending = asyncio.create_task(engine.deliver(engine.token, "nope", "{not json"))
    async with asyncio.timeout(5):
        task_data = await listener.get()
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
        task_data = await listener.get()
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
