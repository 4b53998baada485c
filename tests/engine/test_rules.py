"""The later generations' pure rules: values checked as each release checked them, and the
names, hashes and signatures the stand-in makes and reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf.struct_pb2 import Struct, Value

from mesg_pusher import _engine_texts as words
from mesg_pusher.engine import EngineError, Identity, load_schema
from mesg_pusher.engine._g5_wire import CREATE, REGISTER, field_problems, request_payload
from mesg_pusher.engine._hashes import decode_hash, decode_hex
from mesg_pusher.engine._rules import NO_KIND, details, problems
from mesg_pusher.engine._schema import Param, is_first_generation, schema_of
from mesg_pusher.mesg import DefinitionError, b58decode, b58encode, load_packaged
from mesg_pusher.mesg.protocol import from_struct, release, to_struct
from mesg_pusher.mesg.protocol.v0_21_pb2 import ExecutionCreateRequest, RunnerRegisterRequest
from tests.engine.later import SVC

OUTPUTS = load_schema(SVC).tasks["ok"].outputs
BATCH = load_schema(SVC).tasks["nested"].inputs
V10, V16, V17 = release("v0.10"), release("v0.16"), release("v0.17")


REQUIRED = [("message", "required")]
NOT_TEXT = [("message", "String")]
BOTH = [("message", "String"), ("extra", "String")]


@pytest.mark.parametrize(("values", "v10", "v16", "v17"), [
    ({"message": "m"}, [], [], []),
    ({}, REQUIRED, REQUIRED, REQUIRED),
    ({"message": None}, REQUIRED, NOT_TEXT, REQUIRED),
    ({"message": "m", "extra": None}, [], [("extra", "String")], []),
    ({"message": 1, "extra": 2}, BOTH, BOTH, BOTH),
    ({"message": True, "more": "ignored"}, NOT_TEXT, NOT_TEXT, NOT_TEXT),
])  # fmt: skip
def test_null_is_absent_except_from_v0_14_1_to_v0_16(
    values: dict[str, object], v10: list[object], v16: list[object], v17: list[object]
) -> None:
    assert problems(OUTPUTS, values, V10) == v10
    assert problems(OUTPUTS, values, V16) == v16
    assert problems(OUTPUTS, values, V17) == v17


def test_repeated_objects_and_any() -> None:
    assert problems(BATCH, {"batch": {}}, V16) == [("batch", "array")]
    assert problems(BATCH, {"batch": [{"channel": "c"}, 3, {"n": "x"}]}, V16) == [
        ("batch", "Object")
    ]
    assert problems(BATCH, {"batch": [{"n": "x"}]}, V16) == [
        ("channel", "required"),
        ("n", "Number"),
    ]
    assert problems(BATCH, {"batch": [None]}, V17) == [("batch", "Object")]  # an element null
    anything = (Param("a", "Any"),)
    assert problems(anything, {"a": None}, V16) == []
    assert problems(anything, {"a": NO_KIND}, V16) == []
    assert problems((Param("b", "Boolean"),), {"b": NO_KIND}, V16) == [("b", "Boolean")]
    assert problems((Param("f", "Float"),), {"f": 1}, V16) == [("f", "type")]
    assert problems((Param("n", "Number"),), {"n": True}, V10) == [("n", "Number")]


def test_problems_are_worded_per_release() -> None:
    found = [("a", "required"), ('b"c', "array"), ("t", "type")]
    assert details(V10, found) == (
        'Value of "a" is required. Value of "b\\"c" is not an array. '
        'Value of "t" is an invalid type'
    )
    assert details(V16, found) == (
        'value of "a" is required\nvalue of "b\\"c" is not an array\n'
        'value of "t" has an invalid type '
    )


def test_go_quoting() -> None:
    assert (
        words.go_quote('a"b\\c\n\x01\x7f\u00a0é\U0001f600')
        == '"a\\"b\\\\c\\n\\x01\\x7f\\u00a0é\U0001f600"'
    )


def test_base58_and_go_decoders() -> None:
    raw = bytes(range(32))
    assert b58decode(b58encode(raw)) == raw
    assert b58encode(b"\0\0\1") == "112"
    assert decode_hash(b58encode(raw)) == raw
    for text, reason in [
        ("", "hash: zero length string"),
        ("0OIl", "hash: invalid base58 digit ('0')"),
        ("2", "hash: invalid length string"),
    ]:
        with pytest.raises(
            EngineError, match="^" + reason.replace("(", r"\(").replace(")", r"\)") + "$"
        ):
            decode_hash(text)
    assert decode_hex("0aFF") == b"\x0a\xff"
    for text, reason in [
        ("zz", "encoding/hex: invalid byte: U+007A 'z'"),
        ("abc", "encoding/hex: odd length hex string"),
        ("abz", "encoding/hex: invalid byte: U+007A 'z'"),
    ]:
        with pytest.raises(EngineError) as error:
            decode_hex(text)
        assert str(error.value) == reason


def test_the_first_generation_form_becomes_the_later_one() -> None:
    schema = schema_of(load_packaged())
    trigger = schema.tasks["trigger"]
    assert [p.key for p in trigger.outputs] == ["calls", "channels", "message"]  # success's
    assert {p.key: p.type for p in trigger.inputs}["data"] == "Any"  # an object or an array
    assert is_first_generation("tasks:\n  t:\n    outputs:\n      success:\n        data: {}\n")
    assert not is_first_generation("tasks:\n  t:\n    outputs:\n      message: {type: String}\n")
    with pytest.raises(DefinitionError, match=r"tasks\.t\.inputs\.x\.type: one of"):
        load_schema("name: s\ntasks:\n  t:\n    inputs:\n      x: {}\n")


def test_request_checks_and_signed_payloads() -> None:
    assert field_problems(RunnerRegisterRequest(), REGISTER) == "ServiceHash is a required field"
    short = RunnerRegisterRequest(serviceHash=b"1" * 32, envHash=b"2")
    assert field_problems(short, REGISTER) == "EnvHash must be a valid hash"
    request = ExecutionCreateRequest(taskKey="t\n", tags=["ok", "é"], executorHash=b"3")
    assert field_problems(request, CREATE) == (
        "TaskKey must contain only printable ascii characters\n"
        "Tags must contain only printable ascii characters\n"
        "ExecutorHash must be a valid hash"
    )
    signed = ExecutionCreateRequest(
        taskKey="t", executorHash=b"\0" * 32, inputs=to_struct({"b": 1, "a": [None]})
    )
    assert request_payload(signed) == (
        b'{"executorHash":"11111111111111111111111111111111","inputs":{"a":[null],"b":1.0},"taskKey":"t"}'
    )
    key = Identity(b"\1" * 32)
    signature = key.sign(b"text")
    assert key.verify(b"text", signature) is None
    assert key.verify(b"other", signature) == "verification of the signature failed"
    assert Identity().verify(b"text", signature) == "verification of the signature failed"
    assert key.verify(b"text", "ab$c") == "illegal base64 data at input byte 2"


def test_structs_both_ways() -> None:
    values = {"s": "x", "n": 1.5, "b": False, "z": None, "o": {"l": [1.0, "a", None]}}
    assert from_struct(to_struct(values)) == values
    empty = Struct()
    empty.fields["k"].CopyFrom(Value())
    assert from_struct(empty, unset=NO_KIND) == {"k": NO_KIND}
    with pytest.raises(TypeError):
        to_struct({"x": object()})
    with pytest.raises(ValueError, match="JSON number"):
        to_struct({"x": float("nan")})


def test_the_key_file(tmp_path: Path) -> None:
    path = tmp_path / "engine.key"
    made = Identity.load(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert Identity.load(path).public == made.public
    path.write_text("not a key\n")
    with pytest.raises(ValueError, match="does not hold a key"):
        Identity.load(path)
