"""A stand-in for the MESG engine (Core v0.2.0 semantics) for tests and local demos.

`Engine` keeps the engine's state and rules (validation in the engine's words, the global
hand-over lock, one result per execution, ids of either shape, `IdShape`) and the faults a test
may ask of it; `EngineServer` serves it over gRPC as ``api.Service`` and ``api.Core``;
`CoreClient` is an application's side (``ExecuteTask``, ``ListenResult``, ``ListenEvent``).
Each is imported on first use.

    engine = Engine()                                   # the packaged mesg.yml; engine.token
    async with EngineServer(engine) as server:          # 127.0.0.1, a free port
        # run: MESG_ENDPOINT_TCP=server.address MESG_TOKEN=server.token mesg-pusher serve
        async with CoreClient(server.address) as client:
            async with client.results(server.token) as results:
                execution = await client.execute(server.token, "trigger", inputs)
                answer = (await results.wait_for([execution]))[execution]
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._cli import add_commands

if TYPE_CHECKING:
    from . import _messages as messages
    from ._application import CoreClient, Events, Results
    from ._model import (
        Emission,
        EngineError,
        Execution,
        IdShape,
        Result,
        Stream,
        Submission,
    )
    from ._server import EngineServer
    from ._state import Engine

# Loaded on first use, so that registering the ``engine`` command costs other commands nothing.
_LAZY = {
    "CoreClient": "_application",
    "Events": "_application",
    "Results": "_application",
    "Emission": "_model",
    "Engine": "_state",
    "EngineError": "_model",
    "Execution": "_model",
    "IdShape": "_model",
    "Result": "_model",
    "Stream": "_model",
    "Submission": "_model",
    "EngineServer": "_server",
}

__all__ = [
    "CoreClient",
    "Emission",
    "Engine",
    "EngineError",
    "EngineServer",
    "Events",
    "Execution",
    "IdShape",
    "Result",
    "Results",
    "Stream",
    "Submission",
    "add_commands",
    "messages",
]


def __getattr__(name: str) -> Any:
    if name == "messages":
        return import_module(f"{__name__}._messages")
    module = _LAZY.get(name)
    if module is not None:
        return getattr(import_module(f"{__name__}.{module}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
