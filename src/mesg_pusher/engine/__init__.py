"""A stand-in for the MESG engine, every release from v0.1 to v0.26, for tests and local demos.

`Engine` keeps the engine's state and rules for the `release` it is given (default: the first
generation with Core v0.2.0's texts): validation in that release's words, the first
generation's global hand-over lock, one result per execution, ids and hashes of the release's
shape, the chain's blocks and the runners' tokens from v0.17, and the faults a test may ask of
it. `EngineServer` serves it over gRPC in that release's protocol (``api.Service`` and
``api.Core`` up to v0.10, the Execution and Event APIs from v0.11, the Runner API from v0.21).
`CoreClient` is the first generation's application (``ExecuteTask``, ``ListenResult``,
``ListenEvent``); `EngineClient` an application of any release. Each is imported on first use.

    engine = Engine()                                   # the packaged mesg.yml; engine.token
    async with EngineServer(engine) as server:          # 127.0.0.1, a free port
        # run: MESG_ENDPOINT_TCP=server.address MESG_TOKEN=server.token mesg-pusher serve
        async with CoreClient(server.address) as client:
            async with client.results(server.token) as results:
                execution = await client.execute(server.token, "trigger", inputs)
                answer = (await results.wait_for([execution]))[execution]

    engine = Engine(release=release("v0.16"))           # mesg_pusher.mesg.protocol.release
    async with EngineServer(engine) as server:
        server.environment()                            # MESG_TOKEN, MESG_ENDPOINT for serve
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes
from . import _messages as messages
from ._cli import add_commands
from ._model import CreatedExecution, EngineError, EventCall, IdShape, Result, Stream, Submission
from ._schema import ServiceSchema, load_schema
from ._signing import Identity

if TYPE_CHECKING:
    from ._application import CoreClient, Events, Results
    from ._clients import EngineClient, EventHeard, Heard, ResultHeard
    from ._server import EngineServer
    from ._state import Engine

# What needs gRPC and protobuf is loaded on first use. Loaded with the package, it made every
# command's start (``mesg-pusher --help``) about 150 ms of CPU slower, 370 -> 520 ms (medians of
# 20 interleaved runs on 2 busy cores); the rest costs about 30 ms, so it is imported plainly.
_LAZY = {
    "CoreClient": "_application",
    "Events": "_application",
    "Results": "_application",
    "EngineClient": "_clients",
    "EventHeard": "_clients",
    "Heard": "_clients",
    "ResultHeard": "_clients",
    "EngineServer": "_server",
    "Engine": "_state",
}

__all__ = [
    "CoreClient",
    "CreatedExecution",
    "Engine",
    "EngineClient",
    "EngineError",
    "EngineServer",
    "EventCall",
    "EventHeard",
    "Events",
    "Heard",
    "IdShape",
    "Identity",
    "Result",
    "ResultHeard",
    "Results",
    "ServiceSchema",
    "Stream",
    "Submission",
    "add_commands",
    "load_schema",
    "messages",
]

__getattr__ = lazy_attributes(__name__, _LAZY)
