"""A stand-in for the MESG engine (Core v0.2.0 semantics) for tests and local demos.

`Engine` keeps the engine's state and rules (validation with the engine's message forms, the
global hand-over lock, one result per execution); `EngineServer` serves it over gRPC as
``api.Service`` and ``api.Core``; `CoreClient` is an application's side (``ExecuteTask``,
``ListenResult``). The gRPC parts are imported on first use.

    engine = Engine()                                   # the packaged mesg.yml; engine.token
    async with EngineServer(engine) as server:          # 127.0.0.1, a free port
        # run: MESG_ENDPOINT_TCP=server.address MESG_TOKEN=server.token mesg-pusher serve
        async with CoreClient(server.address) as client:
            async with client.results(server.token) as results:
                execution = await client.execute(server.token, "trigger", inputs)
                answer = (await results.wait_for([execution]))[execution]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _messages as messages
from ._engine import Engine, EngineError, Execution, Result, Submission, Subscription

if TYPE_CHECKING:
    from ._client import CoreClient, Results
    from ._server import EngineServer

_LAZY = {"CoreClient": "_client", "Results": "_client", "EngineServer": "_server"}

__all__ = [
    "CoreClient",
    "Engine",
    "EngineError",
    "EngineServer",
    "Execution",
    "Result",
    "Results",
    "Submission",
    "Subscription",
    "messages",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is not None:
        from importlib import import_module  # noqa: PLC0415 - gRPC loads on first use

        return getattr(import_module(f"{__name__}.{module}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
