"""The wire format: the generated code is fresh, and names and numbers are the engine's."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf.descriptor import FieldDescriptor

from mesg_pusher.mesg.protocol import core_pb2, service_pb2
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
