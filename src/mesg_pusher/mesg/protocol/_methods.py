"""The rpcs of each release: their paths on the wire and the messages they carry.

The later generations' messages live in packages of our own (``v0_14`` ...), so that the wire
formats of every release can be loaded side by side; what travels is the rpc path, which names
the engine's package (``/mesg.api.Execution/Stream``), and the messages' field numbers. `calls`
gives a release's rpcs by a short name (``"Execution/Stream"``, ``"Runner/Register"``);
`method_handlers` serves some of them, `multi_callable` calls one. The gRPC metadata keys and the
``status: ready`` header are here too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from importlib import import_module
from types import ModuleType
from typing import Any, Final

import grpc
from google.protobuf.message import DecodeError, Message

from ... import _engine_texts as words
from .._releases import Release

#: The header a stream sends once its subscription is in place.
READY: Final = (("status", "ready"),)
#: G5: the metadata key of the registration's (and the orchestrator's) request signature.
REQUEST_SIGNATURE: Final = "mesg_request_signature"
#: G5: the metadata key of the token every Runner API call carries.
CREDENTIAL_TOKEN: Final = "mesg_credential_token"  # noqa: S105 - a metadata key
#: v0.17.0: the metadata keys Execution/Update and Execution/Create demand.
CREDENTIAL_USERNAME: Final = "credential_username"
CREDENTIAL_PASSPHRASE: Final = "credential_passphrase"  # noqa: S105 - a metadata key


@dataclass(frozen=True, slots=True)
class Method:
    """One rpc: its path, its request and reply classes, and whether the reply is a stream."""

    path: str
    request: type[Message]
    reply: type[Message]
    stream: bool

    @property
    def service(self) -> str:
        """The full service name (``mesg.api.Execution``)."""
        return self.path[1:].rsplit("/", 1)[0]

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[1]


def wire(release: Release) -> ModuleType:
    """The ``*_pb2`` module of `release`'s messages (G1: ``service_pb2``; its ``api.Core``
    messages are in ``core_pb2``)."""
    return import_module(f"{__package__}.{release.wire}_pb2")


# (short name, request, reply, stream) per generation; the path is built from the package.
_G1_G2: Final = (
    ("api.Service", "ListenTask", "ListenTaskRequest", "TaskData", True),
    ("api.Service", "SubmitResult", "SubmitResultRequest", "SubmitResultReply", False),
    ("api.Service", "EmitEvent", "EmitEventRequest", "EmitEventReply", False),
    ("api.Core", "ExecuteTask", "ExecuteTaskRequest", "ExecuteTaskReply", False),
    ("api.Core", "ListenResult", "ListenResultRequest", "ResultData", True),
    ("api.Core", "ListenEvent", "ListenEventRequest", "EventData", True),
)
_G3_G4: Final = (
    ("Execution", "Create", "CreateExecutionRequest", "CreateExecutionResponse", False),
    ("Execution", "Get", "GetExecutionRequest", "Execution", False),
    ("Execution", "Stream", "StreamExecutionRequest", "Execution", True),
    ("Execution", "Update", "UpdateExecutionRequest", "UpdateExecutionResponse", False),
    ("Event", "Create", "CreateEventRequest", "CreateEventResponse", False),
    ("Event", "Stream", "StreamEventRequest", "Event", True),
)
_G4_ONLY: Final = (("Execution", "List", "ListExecutionRequest", "ListExecutionResponse", False),)
_ORCH: Final = "mesg.grpc.orchestrator"
_RUNNER: Final = "mesg.grpc.runner"
_G5: Final = (
    (f"{_ORCH}.Runner", "Register", "RunnerRegisterRequest", "RunnerRegisterResponse", False),
    (f"{_ORCH}.Runner", "Delete", "RunnerDeleteRequest", "RunnerDeleteResponse", False),
    (f"{_RUNNER}.Runner", "Execution", "ExecutionRequest", "Execution", True),
    (f"{_RUNNER}.Runner", "Result", "ResultRequest", "ResultResponse", False),
    (f"{_RUNNER}.Runner", "Event", "EventRequest", "EventResponse", False),
    (f"{_ORCH}.Execution", "Create", "ExecutionCreateRequest", "ExecutionCreateResponse", False),
    (f"{_ORCH}.Execution", "Stream", "ExecutionStreamRequest", "Execution", True),
    (f"{_ORCH}.Event", "Stream", "EventStreamRequest", "Event", True),
)  # fmt: skip


def calls(release: Release) -> Mapping[str, Method]:
    """`release`'s rpcs by short name: the service's last word and the rpc
    (``"Service/ListenTask"``, ``"Core/ExecuteTask"``, ``"Execution/Update"``,
    ``"Runner/Result"``)."""
    generation = release.generation
    if generation <= 2:
        service = wire(release)
        core = import_module(f"{__package__}.core_pb2") if generation == 1 else service
        table = [
            (f"{name}", rpc, (core if name == "api.Core" else service), request, reply, stream)
            for name, rpc, request, reply, stream in _G1_G2
        ]
    elif generation <= 4:
        module = wire(release)
        rows = _G3_G4 + (_G4_ONLY if generation == 4 else ())
        table = [
            (f"{release.api_package}.{name}", rpc, module, request, reply, stream)
            for name, rpc, request, reply, stream in rows
        ]
    else:
        module = wire(release)
        table = [
            (name, rpc, module, request, reply, stream) for name, rpc, request, reply, stream in _G5
        ]
    return {
        f"{service.rsplit('.', 1)[-1]}/{rpc}": Method(
            f"/{service}/{rpc}", getattr(module, request), getattr(module, reply), stream
        )
        for service, rpc, module, request, reply, stream in table
    }


def method_handlers(
    behaviours: Mapping[Method, Callable[..., Any]],
) -> list[grpc.GenericRpcHandler[Any, Any]]:
    """gRPC handlers serving each method with its behaviour (a coroutine function for a unary
    rpc, an async generator function for a stream), grouped by service. A stream's behaviour
    may yield bytes already serialised; they go out as they are. A request that is not the
    method's message (a field of another type) is refused as the engine's gRPC server (grpc-go)
    refuses it: status INTERNAL, ``grpc: error unmarshalling request: ...``."""
    services: dict[str, dict[str, grpc.RpcMethodHandler[Any, Any]]] = {}
    for method, behaviour in behaviours.items():
        make = (
            grpc.unary_stream_rpc_method_handler
            if method.stream
            else grpc.unary_unary_rpc_method_handler
        )
        services.setdefault(method.service, {})[method.name] = make(
            _readable_only(behaviour, method.stream),
            request_deserializer=_reader(method.request),
            response_serializer=_serialise,
        )  # fmt: skip
    return [
        grpc.method_handlers_generic_handler(service, handlers)
        for service, handlers in services.items()
    ]


@dataclass(frozen=True, slots=True)
class _Unreadable:
    """A request protobuf could not decode, and why."""

    reason: str


def _reader(request: type[Message]) -> Callable[[bytes], Message | _Unreadable]:
    def read(data: bytes) -> Message | _Unreadable:
        try:
            return request.FromString(data)
        except DecodeError as error:
            return _Unreadable(str(error))

    return read


def _readable_only(behaviour: Callable[..., Any], stream: bool) -> Callable[..., Any]:
    """`behaviour`, refusing an unreadable request first."""

    async def refuse(request: _Unreadable, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        await context.abort(
            grpc.StatusCode.INTERNAL, words.UNMARSHAL_REQUEST.format(reason=request.reason)
        )

    if stream:

        async def streamed(request: Any, context: Any) -> AsyncIterator[Any]:
            if isinstance(request, _Unreadable):
                await refuse(request, context)
            async for item in behaviour(request, context):
                yield item

        return streamed

    async def unary(request: Any, context: Any) -> Any:
        if isinstance(request, _Unreadable):
            await refuse(request, context)
        return await behaviour(request, context)

    return unary


def _serialise(message: Message | bytes) -> bytes:
    # Deterministic: map entries (a Struct's fields) in key order, the same bytes every time.
    if isinstance(message, bytes):
        return message
    return message.SerializeToString(deterministic=True)


def multi_callable(channel: grpc.aio.Channel, method: Method) -> Any:
    """The multi-callable for `method` on `channel` (``grpc.aio``): unary-unary or
    unary-stream, serialising its request and reading its reply class."""
    make = channel.unary_stream if method.stream else channel.unary_unary
    return make(
        method.path,
        request_serializer=_serialise,
        response_deserializer=method.reply.FromString,
    )
