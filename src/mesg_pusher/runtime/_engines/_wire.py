"""The engine's messages, every generation, to and from serve's own values: pure translation,
no I/O (the adapters, ``_g1.py`` to ``_g5.py``, only make the calls).

What serve hands over is the same everywhere: a task's `TaskOutput`, an event's key and data.
What travels differs:

- G1 (v0.1-v0.9): the output's key and its data as JSON text (``SubmitResult``).
- From G2 (v0.10): one result per execution, the ``success`` data as the execution's outputs
  or the ``error`` output's text as its error (`result_of`); JSON texts in G2 and v0.11,
  Structs from v0.12.
- Hashes: G2's execution hashes are hex texts, taken as they are; base58 texts in v0.11 to
  v0.13; raw bytes from v0.14, which serve names by their base58 (what the engine's tools
  show), so an execution id is a text in every generation.

A ``null`` never travels in outputs or event data (`without_nulls`): engines v0.14.1 to v0.16
count a null as a value of the wrong type and fail the execution, and every other release reads
it as an absent value, which is what serve means by it. Null elements of a list stay (leaving
them out would move the others).

Reading a task message never raises (``_task_messages.py``): every generation's deserializer
here gives a `TaskMessage`, the inputs as JSON text (G1, G2, v0.11) or already read from the
Struct.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any, Final

from google.protobuf.message import DecodeError, Message
from google.protobuf.struct_pb2 import Struct, Value

from ..._json import dumps
from ...mesg.protocol import b58decode, b58encode, to_struct, wire
from ...mesg.protocol import service_pb2 as g1
from ...mesg.protocol import v0_10_pb2 as g2
from ...mesg.protocol import v0_21_pb2 as g5
from ...tasks import ERROR, TaskOutput
from .._engine_api import TaskMessage
from ._choice import Variant
from ._task_messages import TASK_DATA, TASK_DATA_V010, execution_fields, length_delimited, salvage

#: Doubles below this in size are whole numbers exactly (2**53).
_EXACT: Final = float(2**53)
#: The status a service asks its stream for (mesg.types.Status.InProgress).
IN_PROGRESS: Final = 2
#: The first byte of a JSON object text, and of the text ``null`` (Go's JSON of no inputs); a
#: Struct's first byte is its field 1's tag, 0x0a.
_JSON_OPENINGS: Final = (ord("{"), ord("n"))


# Values --------------------------------------------------------------------------------------


def without_nulls(values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` with every key whose value is None left out, at every depth (objects inside
    lists included); the caller's mapping is not changed."""
    return {key: _kept(value) for key, value in values.items() if value is not None}


def _kept(value: Any) -> Any:
    if isinstance(value, Mapping):
        return without_nulls(value)
    if isinstance(value, list | tuple):
        return [_kept(item) for item in value]
    return value


def values_of(struct: Struct) -> dict[str, Any]:
    """The JSON object a Struct means, its whole numbers as integers: a Struct holds every
    number as a double, where a JSON text (G1, G2, v0.11) gives ``1`` for 1 (the same number
    in JavaScript), so serve handles both alike, and fast (the writer of `_json` takes integers
    without its slower path for fractions)."""
    return {key: _value(value) for key, value in struct.fields.items()}


def _value(value: Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "number_value":
        number = value.number_value
        if number.is_integer() and -_EXACT < number < _EXACT:
            return int(number)
        return number
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return values_of(value.struct_value)
    if kind == "list_value":
        return [_value(item) for item in value.list_value.values]
    return None  # a null, or a value of no kind


def result_of(output: TaskOutput) -> tuple[dict[str, Any] | None, str | None]:
    """From G2: (outputs, None) for a ``success`` output, (None, its text) for the ``error``
    output: its kind first, so a workflow can branch on it (``timeout: ... (retry: unsafe)``)."""
    if output.key == ERROR:
        return None, output.error_text()
    return without_nulls(output.data), None


def hash_field(variant: Variant, execution_id: str) -> str | bytes:
    """An execution id (or an identity's hash) as the variant's hash fields hold it: the
    base58 text decoded to its bytes from v0.14, the text itself before."""
    return b58decode(execution_id) if variant.bytes_hashes else execution_id


# G1: api.Service of v0.1 to v0.9 -------------------------------------------------------------


def read_g1_task(data: bytes) -> TaskMessage:
    """A G1 task stream message (``TaskData``)."""
    try:
        message = g1.TaskData.FromString(data)
    except DecodeError:
        return salvage(data, TASK_DATA)
    return TaskMessage(len(data), message.executionID, message.taskKey, message.inputData)


def g1_result(execution_id: str, output: TaskOutput) -> g1.SubmitResultRequest:
    return g1.SubmitResultRequest(
        executionID=execution_id,
        outputKey=output.key,
        outputData=dumps(without_nulls(output.data)),
    )


def g1_event(token: str, key: str, data: Mapping[str, Any]) -> g1.EmitEventRequest:
    return g1.EmitEventRequest(token=token, eventKey=key, eventData=dumps(without_nulls(data)))


# G2: api.Service of v0.10 --------------------------------------------------------------------


def read_g2_task(data: bytes) -> TaskMessage:
    """A G2 task stream message (``TaskData`` with the execution's hex hash)."""
    try:
        message = g2.TaskData.FromString(data)
    except DecodeError:
        return salvage(data, TASK_DATA_V010)
    return TaskMessage(len(data), message.executionHash, message.taskKey, message.inputData)


def g2_result(execution_id: str, output: TaskOutput) -> g2.SubmitResultRequest:
    outputs, error = result_of(output)
    if outputs is None:
        return g2.SubmitResultRequest(executionHash=execution_id, error=error or "")
    return g2.SubmitResultRequest(executionHash=execution_id, outputData=dumps(outputs))


def g2_event(token: str, key: str, data: Mapping[str, Any]) -> g2.EmitEventRequest:
    return g2.EmitEventRequest(token=token, eventKey=key, eventData=dumps(without_nulls(data)))


# G3 and G4: the Execution and Event APIs -------------------------------------------------------


def messages(variant: Variant, json_text: bool | None = None) -> ModuleType:
    """The variant's message module (of its JSON texts or its Structs, for v0.11 to v0.13 under
    ``auto``)."""
    if variant.json_text is None and json_text is False:
        return wire(variant.releases[-1])
    return wire(variant.first)


def execution_reader(
    variant: Variant, json_text: Callable[[bytes], bool]
) -> Callable[[bytes], TaskMessage]:
    """The task stream's deserializer from G3: a ``types.Execution`` read into a `TaskMessage`.
    `json_text` says, from a message's inputs field, whether inputs travel as JSON texts
    (`inputs_are_json`; the variant says it but for v0.11 to v0.13 under ``auto``)."""
    fields = execution_fields(variant.bytes_hashes, text_inputs=variant.json_text is True)
    json_module, struct_module = messages(variant, True), messages(variant, False)

    def read(data: bytes) -> TaskMessage:
        inputs_json = json_text(data)
        module = json_module if inputs_json else struct_module
        try:
            message = module.Execution.FromString(data)
        except DecodeError:
            return salvage(data, fields)
        hash_ = message.hash
        execution_id = b58encode(hash_) if isinstance(hash_, bytes) else hash_
        inputs = (message.inputs or "{}") if inputs_json else values_of(message.inputs)
        return TaskMessage(len(data), execution_id, message.taskKey, inputs)

    return read


def inputs_are_json(data: bytes) -> bool:
    """Whether a ``types.Execution``'s inputs (field 7) are a JSON text rather than a Struct."""
    inputs = length_delimited(data, 7)
    return bool(inputs) and inputs is not None and inputs[0] in _JSON_OPENINGS


def stream_request(variant: Variant, token: str) -> Message:
    """G3: the instance's executions in progress (`token`: MESG_TOKEN, its instance hash)."""
    request: Message = messages(variant).StreamExecutionRequest()
    wanted = request.filter  # type: ignore[attr-defined]
    wanted.statuses.append(IN_PROGRESS)
    wanted.instanceHash = hash_field(variant, token)
    return request


def runner_stream_request(variant: Variant, runner_hash: str) -> Message:
    """G4: the runner's executions in progress (MESG_RUNNER_HASH)."""
    request: Message = messages(variant).StreamExecutionRequest()
    wanted = request.filter  # type: ignore[attr-defined]
    wanted.statuses.append(IN_PROGRESS)
    wanted.executorHash = b58decode(runner_hash)
    return request


def update_request(
    variant: Variant, execution_id: str, output: TaskOutput, json_text: bool
) -> Message:
    """G3, G4: ``Execution/Update`` with the execution's one result."""
    request: Message = messages(variant, json_text).UpdateExecutionRequest(
        hash=hash_field(variant, execution_id)
    )
    outputs, error = result_of(output)
    if outputs is None:
        request.error = error  # type: ignore[attr-defined]
    elif json_text:
        request.outputs = dumps(outputs)  # type: ignore[attr-defined]
    else:
        request.outputs.CopyFrom(to_struct(outputs))  # type: ignore[attr-defined]
    return request


def event_request(
    variant: Variant, instance_hash: str, key: str, data: Mapping[str, Any], json_text: bool
) -> Message:
    """G3, G4: ``Event/Create`` of the instance (MESG_TOKEN in G3, MESG_INSTANCE_HASH in G4)."""
    request: Message = messages(variant, json_text).CreateEventRequest(
        instanceHash=hash_field(variant, instance_hash), key=key
    )
    if json_text:
        request.data = dumps(without_nulls(data))  # type: ignore[attr-defined]
    else:
        request.data.CopyFrom(to_struct(without_nulls(data)))  # type: ignore[attr-defined]
    return request


def key_missing_probe(variant: Variant, token: str) -> Message:
    """v0.11 to v0.13 under ``auto``: an ``Event/Create`` that every engine refuses, having no
    key, with JSON text data: v0.11 reads it and answers ``create event: key missing``; v0.12
    and v0.13 cannot read JSON text where a Struct belongs, and answer otherwise."""
    probe: Message = wire(variant.first).CreateEventRequest(instanceHash=token, key="", data="{}")
    return probe


# G5: the orchestrator's registration, then the Runner API ---------------------------------------


def register_request(service_hash: str, env_hash: str) -> g5.RunnerRegisterRequest:
    """The registration MESG_REGISTER_SIGNATURE signs: MESG_SERVICE_HASH and MESG_ENV_HASH
    (which may be empty), decoded."""
    request = g5.RunnerRegisterRequest(serviceHash=b58decode(service_hash))
    if env_hash:
        request.envHash = b58decode(env_hash)
    return request


def result_request(execution_id: str, output: TaskOutput) -> g5.ResultRequest:
    request = g5.ResultRequest(executionHash=b58decode(execution_id))
    outputs, error = result_of(output)
    if outputs is None:
        request.error = error or ""
    else:
        request.outputs.CopyFrom(to_struct(outputs))
    return request


def runner_event_request(key: str, data: Mapping[str, Any]) -> g5.EventRequest:
    request = g5.EventRequest(key=key)
    request.data.CopyFrom(to_struct(without_nulls(data)))
    return request
