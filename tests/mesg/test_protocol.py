"""The wire format: the generated code is fresh, and names and numbers are the engine's."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

import pytest
from google.protobuf.descriptor import FieldDescriptor

from mesg_pusher.mesg.protocol import calls, core_pb2, release, service_pb2, v0_17_pb2, v0_21_pb2
from mesg_pusher.mesg.protocol.__main__ import GENERATED, HERE, generate

STRING = FieldDescriptor.TYPE_STRING

# message -> [(field, number, repeated)], as the protocol lists them.
MESSAGES = {
    "ListenTaskRequest": [("token", 1, False)],
    "TaskData": [("executionID", 1, False), ("taskKey", 2, False), ("inputData", 3, False)],
    "SubmitResultRequest": [
        ("executionID", 1, False),
        ("outputKey", 2, False),
        ("outputData", 3, False),
    ],
    "SubmitResultReply": [],
    "EmitEventRequest": [("token", 1, False), ("eventKey", 2, False), ("eventData", 3, False)],
    "EmitEventReply": [],
    "ExecuteTaskRequest": [
        ("serviceID", 1, False),
        ("taskKey", 2, False),
        ("inputData", 3, False),
        ("executionTags", 4, True),
    ],
    "ExecuteTaskReply": [("executionID", 1, False)],
    "ListenResultRequest": [
        ("serviceID", 1, False),
        ("taskFilter", 2, False),
        ("outputFilter", 3, False),
        ("tagFilters", 4, True),
    ],
    "ResultData": [
        ("executionID", 1, False),
        ("taskKey", 2, False),
        ("outputKey", 3, False),
        ("outputData", 4, False),
        ("executionTags", 5, True),
    ],
    "ListenEventRequest": [("serviceID", 1, False), ("eventFilter", 2, False)],
    "EventData": [("eventKey", 1, False), ("eventData", 2, False)],
}
# service -> {method: (request, reply, server streaming)}
SERVICES = {
    "Service": {
        "ListenTask": ("ListenTaskRequest", "TaskData", True),
        "SubmitResult": ("SubmitResultRequest", "SubmitResultReply", False),
        "EmitEvent": ("EmitEventRequest", "EmitEventReply", False),
    },
    "Core": {
        "ExecuteTask": ("ExecuteTaskRequest", "ExecuteTaskReply", False),
        "ListenResult": ("ListenResultRequest", "ResultData", True),
        "ListenEvent": ("ListenEventRequest", "EventData", True),
    },
}
FILES = (service_pb2.DESCRIPTOR, core_pb2.DESCRIPTOR)


def test_the_generated_code_is_what_the_proto_files_give_now(tmp_path: Path) -> None:
    fresh = generate(tmp_path)
    assert [path.name for path in fresh] == list(GENERATED)
    stale = [path.name for path in fresh if path.read_bytes() != (HERE / path.name).read_bytes()]
    assert not stale, f"regenerate with: python -m mesg_pusher.mesg.protocol ({stale})"


@pytest.mark.parametrize("message", sorted(MESSAGES))
def test_message_fields_match_the_protocol(message: str) -> None:
    (found,) = [
        f.message_types_by_name[message] for f in FILES if message in f.message_types_by_name
    ]
    assert found.full_name == f"api.{message}"
    fields = [(field.name, field.number, field.is_repeated) for field in found.fields]
    assert fields == MESSAGES[message]
    assert all(field.type == STRING for field in found.fields)


def test_services_and_methods_match_the_protocol() -> None:
    services = {s.name: s for f in FILES for s in f.services_by_name.values()}
    assert sorted(services) == sorted(SERVICES)
    for name, methods in SERVICES.items():
        service = services[name]
        assert service.full_name == f"api.{name}"
        found = {
            m.name: (m.input_type.name, m.output_type.name, m.server_streaming)
            for m in service.methods
        }
        assert found == methods
        assert not any(m.client_streaming for m in service.methods)


# The later generations: every message, field names and numbers as the protocol gives them.

LATER = {
    "v0_10_pb2": {
        "TaskData": [("executionHash", 1), ("taskKey", 2), ("inputData", 3)],
        "SubmitResultRequest": [("executionHash", 1), ("outputData", 3), ("error", 4)],
        "ResultData": [
            ("executionHash", 1),
            ("taskKey", 2),
            ("outputData", 4),
            ("executionTags", 5),
            ("error", 6),
        ],
        "ListenResultRequest": [("serviceID", 1), ("taskFilter", 2), ("tagFilters", 4)],
        "ExecuteTaskReply": [("executionHash", 1)],
    },
    "v0_11_pb2": {
        "Execution": [
            ("hash", 1), ("parentHash", 2), ("eventHash", 3), ("status", 4),
            ("instanceHash", 5), ("taskKey", 6), ("inputs", 7), ("outputs", 8), ("error", 9),
            ("tags", 10),
        ],
        "UpdateExecutionRequest": [("hash", 1), ("outputs", 2), ("error", 3)],
        "CreateEventRequest": [("instanceHash", 1), ("key", 2), ("data", 3)],
    },
    "v0_14_pb2": {
        "Execution": [
            ("hash", 1), ("parentHash", 2), ("eventHash", 3), ("status", 4),
            ("instanceHash", 5), ("taskKey", 6), ("inputs", 7), ("outputs", 8), ("error", 9),
            ("tags", 10), ("processHash", 11), ("stepID", 12),
        ],
        "CreateExecutionRequest": [("instanceHash", 1), ("taskKey", 2), ("inputs", 3), ("tags", 4)],
        "StreamEventRequest.Filter": [("hash", 1), ("instanceHash", 2), ("key", 3)],
    },
    "v0_17_pb2": {
        "StreamExecutionRequest.Filter": [
            ("statuses", 1), ("instanceHash", 2), ("taskKey", 3), ("tags", 4), ("executorHash", 5),
        ],
        "CreateExecutionRequest": [
            ("taskKey", 2), ("inputs", 3), ("tags", 4), ("parentHash", 5), ("eventHash", 6),
            ("processHash", 7), ("nodeKey", 8), ("executorHash", 9), ("price", 10),
        ],
        "Execution.Emitter": [("runnerHash", 1), ("blockHeight", 2)],
    },
    "v0_21_pb2": {
        "RunnerRegisterRequest": [("serviceHash", 1), ("envHash", 2)],
        "RunnerRegisterResponse": [("token", 1)],
        "ResultRequest": [("executionHash", 1), ("outputs", 2), ("error", 3)],
        "EventRequest": [("key", 1), ("data", 2)],
        "ExecutionCreateRequest": [
            ("taskKey", 1), ("inputs", 2), ("tags", 3), ("executorHash", 4), ("price", 5),
        ],
    },
}  # fmt: skip


@pytest.mark.parametrize(
    ("module", "message"), [(m, name) for m, messages in LATER.items() for name in messages]
)
def test_later_messages_match_the_protocol(module: str, message: str) -> None:
    found = import_module(f"mesg_pusher.mesg.protocol.{module}").DESCRIPTOR
    descriptor = found.message_types_by_name[message.split(".", maxsplit=1)[0]]
    for nested in message.split(".")[1:]:
        descriptor = descriptor.nested_types_by_name[nested]
    assert [(f.name, f.number) for f in descriptor.fields] == LATER[module][message]


def test_later_executions_add_fields_release_by_release() -> None:
    fields = {f.name: f.number for f in v0_21_pb2.Execution.DESCRIPTOR.fields}
    assert fields["executorHash"] == 13
    assert (fields["price"], fields["blockHeight"], fields["emitters"], fields["address"]) == (
        14,
        15,
        16,
        17,
    )
    assert (fields["start"], fields["stop"]) == (18, 19)
    statuses = v0_17_pb2.Status.DESCRIPTOR.values_by_name
    assert statuses["Created"].number == statuses["Proposed"].number == 1


@pytest.mark.parametrize(("tag", "path"), [
    ("v0.2", "/api.Service/ListenTask"),
    ("v0.10", "/api.Service/ListenTask"),
    ("v0.11", "/api.Execution/Stream"),
    ("v0.14.2", "/api.Execution/Stream"),
    ("v0.15", "/mesg.api.Execution/Stream"),
    ("v0.20", "/mesg.api.Execution/Stream"),
])  # fmt: skip
def test_the_rpc_paths_of_each_release(tag: str, path: str) -> None:
    rpcs = calls(release(tag))
    streamed = rpcs.get("Execution/Stream") or rpcs["Service/ListenTask"]
    assert streamed.path == path
    assert streamed.stream


def test_the_fifth_generation_paths() -> None:
    rpcs = calls(release("v0.26"))
    assert {name: method.path for name, method in rpcs.items()} == {
        "Runner/Register": "/mesg.grpc.orchestrator.Runner/Register",
        "Runner/Delete": "/mesg.grpc.orchestrator.Runner/Delete",
        "Runner/Execution": "/mesg.grpc.runner.Runner/Execution",
        "Runner/Result": "/mesg.grpc.runner.Runner/Result",
        "Runner/Event": "/mesg.grpc.runner.Runner/Event",
        "Execution/Create": "/mesg.grpc.orchestrator.Execution/Create",
        "Execution/Stream": "/mesg.grpc.orchestrator.Execution/Stream",
        "Event/Stream": "/mesg.grpc.orchestrator.Event/Stream",
    }
    assert rpcs["Runner/Execution"].request is v0_21_pb2.ExecutionRequest
