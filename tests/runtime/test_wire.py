"""The engine's messages of every generation, made from serve's values and read into them:
pure translation, held to the protocol description's field numbers with a decoder of our own
(`tests.support.mesg_wire`), not the generated classes serve uses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mesg_pusher.engine import Engine
from mesg_pusher.engine import _g3_wire as standin_wire
from mesg_pusher.engine._model import CreatedExecution, Snapshot
from mesg_pusher.mesg import b58decode, b58encode, release
from mesg_pusher.mesg.protocol import to_struct
from mesg_pusher.runtime._engine_api import TaskMessage
from mesg_pusher.runtime._engines import _wire as wire
from mesg_pusher.runtime._engines._choice import (
    G3_BYTES,
    G3_JSON,
    G3_MESG_API,
    G3_STRINGS,
    G3_STRUCT,
    G4,
    VARIANTS,
    Variant,
)
from mesg_pusher.tasks import Failure, Kind, Retry, TaskOutput
from tests.support.mesg_wire import fields_of, read_struct

HASH = bytes(range(1, 33))
ID = b58encode(HASH)


def test_no_null_is_sent_at_any_depth_and_the_callers_values_stay() -> None:
    values: dict[str, Any] = {
        "message": "sent",
        "gone": None,
        "channels": {"a": {"user_count": None, "occupied": True}},
        "batch": [{"x": None, "y": 1}, None, 2],
    }
    kept = wire.without_nulls(values)
    assert kept == {
        "message": "sent",
        "channels": {"a": {"occupied": True}},
        "batch": [{"y": 1}, None, 2],  # an element's place is kept
    }
    assert values["gone"] is None
    assert values["channels"]["a"]["user_count"] is None


INPUT_FAILURE = Failure(Kind.INPUT, Retry.USELESS)


def test_a_result_is_the_success_data_or_the_error_outputs_text() -> None:
    assert wire.result_of(TaskOutput.success()) == ({"message": "sent"}, None)
    refused = TaskOutput.error("Pusher answered 401", Failure(Kind.AUTH, Retry.USELESS, status=401))
    assert wire.result_of(refused) == (
        None,
        "auth: Pusher answered 401 (retry: useless, status: 401)",
    )
    assert wire.result_of(TaskOutput("success", {"occupied": True, "user_count": None})) == (
        {"occupied": True},
        None,
    )


def test_the_first_generation_keeps_its_keyed_outputs_without_nulls() -> None:
    request = wire.g1_result("e 1", TaskOutput("success", {"message": "sent", "x": None}))
    assert fields_of(request.SerializeToString()) == {
        1: [b"e 1"],
        2: [b"success"],
        3: [b'{"message":"sent"}'],
    }


def test_the_second_generation_sends_outputs_or_an_error() -> None:
    success = wire.g2_result("ab12", TaskOutput.success())
    assert fields_of(success.SerializeToString()) == {1: [b"ab12"], 3: [b'{"message":"sent"}']}
    failure = wire.g2_result("ab12", TaskOutput.error("no", INPUT_FAILURE))
    assert fields_of(failure.SerializeToString()) == {
        1: [b"ab12"],
        4: [b"input: no (retry: useless)"],
    }
    event = wire.g2_event("tok", "received", {"n": 1, "o": None})
    assert fields_of(event.SerializeToString()) == {1: [b"tok"], 2: [b"received"], 3: [b'{"n":1}']}


@pytest.mark.parametrize(
    ("variant", "hash_field", "json_text"),
    [
        (G3_JSON, ID.encode(), True),
        (G3_STRUCT, ID.encode(), False),
        (G3_BYTES, HASH, False),
        (G3_MESG_API, HASH, False),
        (G4, HASH, False),
    ],
    ids=lambda v: v.name if isinstance(v, Variant) else "",
)
def test_updates_and_events_in_each_wire_variant(
    variant: Variant, hash_field: bytes, json_text: bool
) -> None:
    update = wire.update_request(variant, ID, TaskOutput.success(), json_text)
    found = fields_of(update.SerializeToString())
    assert found[1] == [hash_field]
    outputs = found[2][0]
    if json_text:
        assert json.loads(outputs) == {"message": "sent"}
    else:
        assert read_struct(outputs) == {"message": "sent"}
    failed = fields_of(
        wire.update_request(
            variant, ID, TaskOutput.error("x", INPUT_FAILURE), json_text
        ).SerializeToString()
    )
    assert failed == {1: [hash_field], 3: [b"input: x (retry: useless)"]}
    made = wire.event_request(variant, ID, "received", {"n": 2, "o": None}, json_text)
    event = fields_of(made.SerializeToString())
    assert event[1] == [hash_field]
    assert event[2] == [b"received"]
    data = event[3][0]
    assert (json.loads(data) if json_text else read_struct(data)) == {"n": 2}


def test_the_streams_ask_for_the_instances_or_the_runners_executions_in_progress() -> None:
    g3 = fields_of(wire.stream_request(G3_MESG_API, ID).SerializeToString())
    assert fields_of(g3[1][0]) == {1: [b"\x02"], 2: [HASH]}  # statuses [InProgress], instance
    strings = fields_of(wire.stream_request(G3_STRINGS, ID).SerializeToString())
    assert fields_of(strings[1][0]) == {1: [b"\x02"], 2: [ID.encode()]}
    g4 = fields_of(wire.runner_stream_request(G4, ID).SerializeToString())
    assert fields_of(g4[1][0]) == {1: [b"\x02"], 5: [HASH]}  # executorHash


def test_the_fifth_generation_registers_and_reports() -> None:
    register = wire.register_request(ID, "")
    assert fields_of(register.SerializeToString()) == {1: [HASH]}
    assert fields_of(wire.register_request(ID, ID).SerializeToString()) == {1: [HASH], 2: [HASH]}
    result = fields_of(wire.result_request(ID, TaskOutput.success()).SerializeToString())
    assert result[1] == [HASH]
    assert read_struct(result[2][0]) == {"message": "sent"}
    event = fields_of(wire.runner_event_request("received", {"n": 1}).SerializeToString())
    assert event[1] == [b"received"]
    assert read_struct(event[2][0]) == {"n": 1}


@pytest.mark.parametrize("tag", ["v0.11", "v0.12", "v0.14", "v0.16", "v0.20", "v0.26"])
def test_executions_the_stand_in_sends_are_read_with_their_inputs(tag: str) -> None:
    engine = Engine(release=release(tag))
    inputs = {"appId": "1", "port": 8080, "data": {"a": [1, "x"]}, "keepAlive": True}
    item = _snapshot(engine, inputs)
    data = standin_wire.execution_message(engine.release, item).SerializeToString()
    [variant] = [v for v in VARIANTS if engine.release in v.releases]
    # v0.11 to v0.13 under auto: JSON texts or Structs found from the message.
    readers = [variant, G3_STRINGS] if variant in (G3_JSON, G3_STRUCT) else [variant]
    for read_as in readers:
        message = wire.execution_reader(read_as, wire.inputs_are_json)(data)
        assert (message.execution_id, message.task_key) == (item.execution.id, "trigger")
        read = message.input_data
        assert (json.loads(read) if isinstance(read, str) else read) == inputs
        assert message.size == len(data)


def test_a_struct_s_whole_numbers_are_read_as_integers() -> None:
    struct = to_struct(
        {"port": 8080, "ratio": 0.5, "big": 2.0**60, "list": [1, 2.5, None, {"n": 3}]}
    )
    values = wire.values_of(struct)
    assert values == {"port": 8080, "ratio": 0.5, "big": 2.0**60, "list": [1, 2.5, None, {"n": 3}]}
    assert [type(values[k]) for k in ("port", "ratio", "big")] == [int, float, float]
    assert type(values["list"][3]["n"]) is int


def test_json_texts_and_structs_are_told_apart_by_the_inputs_field() -> None:
    assert wire.inputs_are_json(b"\x3a\x02{}")
    assert wire.inputs_are_json(b"\x3a\x04null")
    assert not wire.inputs_are_json(b"\x3a\x00")
    assert not wire.inputs_are_json(b"\x3a\x03\x0a\x01a")
    assert not wire.inputs_are_json(b"")


def test_a_broken_execution_is_answered_by_its_hash() -> None:
    # hash (1), taskKey (6) "trigger", inputs (7) a Struct that is not one
    data = b"\x0a\x20" + HASH + b"\x32\x07trigger" + b"\x3a\x02\x0a\xff"
    message = wire.execution_reader(G3_MESG_API, lambda _: False)(data)
    assert message == TaskMessage(len(data), ID, "trigger", None, "protobuf could not decode it")
    assert b58decode(message.execution_id or "") == HASH


def _snapshot(engine: Engine, inputs: dict[str, Any]) -> Snapshot:
    execution = CreatedExecution(
        ID, engine.token, "trigger", json.dumps(inputs), (), 0.0, 1, inputs, HASH
    )
    return Snapshot(execution)
