"""The stand-in over gRPC: an `Engine` served on 127.0.0.1 (or a unix socket), in the caller's
event loop, speaking its release's protocol through that generation's edge (``_g1_server`` to
``_g5_server``).

`EngineServer.restart` drops every connection and listens again on the same address while the
engine keeps its executions, as when the engine's network goes away and comes back; with
``forget_tokens`` it is the engine process that restarted, and G5's runner tokens, kept in its
memory only, are gone.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from types import TracebackType
from typing import Any

from grpc import aio

from ..mesg.protocol import Method, method_handlers
from ._state import Engine


def _behaviours(engine: Engine) -> dict[Method, Callable[..., Any]]:
    edge = import_module(f"{__package__}._g{engine.release.generation}_server")
    behaviours: dict[Method, Callable[..., Any]] = edge.behaviours(engine)
    return behaviours


class EngineServer:
    """Serves `engine` (a new ``Engine()`` by default) on ``127.0.0.1:port`` (port 0: a free
    one, read back from `port`) or on the unix socket `unix_socket`. Use ``async with`` or
    `start`/`stop`; `address` is what ``MESG_ENDPOINT_TCP`` should say."""

    def __init__(
        self,
        engine: Engine | None = None,
        *,
        port: int = 0,
        unix_socket: str | None = None,
    ) -> None:
        self.engine = engine if engine is not None else Engine()
        self.port = port
        self.unix_socket = unix_socket
        self._server: aio.Server | None = None

    @property
    def address(self) -> str:
        if self.unix_socket is not None:
            return f"unix://{self.unix_socket}"
        return f"127.0.0.1:{self.port}"

    @property
    def token(self) -> str:
        """The token of the engine's first service (the packaged mesg.yml by default)."""
        return self.engine.token

    def environment(self, token: str | None = None) -> dict[str, str]:
        """What the engine gives the service (its first one by default) when it starts it."""
        return self.engine.environment(self.address, token)

    async def start(self) -> EngineServer:
        if self._server is not None:
            raise RuntimeError("the engine stand-in is already serving")
        # No SO_REUSEPORT: two stand-ins must never share a port. (SO_REUSEADDR, which gRPC
        # sets anyway, is what lets `restart` bind the same port again at once.)
        server = aio.server(options=[("grpc.so_reuseport", 0)])
        server.add_generic_rpc_handlers(method_handlers(_behaviours(self.engine)))
        where = (
            f"unix:{self.unix_socket}" if self.unix_socket is not None else f"127.0.0.1:{self.port}"
        )
        try:
            bound = server.add_insecure_port(where)
        except RuntimeError:  # gRPC's own text says only "Failed to bind"
            raise OSError(f"cannot listen on {where}: {self._why_not()}") from None
        if self.unix_socket is None:
            self.port = bound
        await server.start()
        self._server = server
        return self

    def _why_not(self) -> str:
        """Why binding the address fails, asked of the system itself."""
        if self.unix_socket is not None:
            folder = Path(self.unix_socket).parent
            if not folder.is_dir():
                return f"no such directory: {folder}"
            family, address = socket.AF_UNIX, self.unix_socket
            probe: tuple[str, int] | str = address
        else:
            family, probe = socket.AF_INET, ("127.0.0.1", self.port)
        with socket.socket(family, socket.SOCK_STREAM) as trial:
            try:
                trial.bind(probe)
            except OSError as error:
                return error.strerror or str(error)
        if self.unix_socket is not None:
            Path(self.unix_socket).unlink(missing_ok=True)  # the trial's own socket file
        return "refused by gRPC"

    async def stop(self, grace: float = 1.0) -> None:
        """Stop serving as an engine that shuts down: end the open streams, then give calls
        under way `grace` seconds."""
        server, self._server = self._server, None
        if server is not None:
            self.engine.end_streams()
            await server.stop(grace)

    async def drop(self) -> None:
        """Stop serving at once, cutting every connection (the network went away)."""
        server, self._server = self._server, None
        if server is not None:
            await server.stop(None)

    async def restart(self, downtime: float = 0.0, *, forget_tokens: bool = False) -> None:
        """Cut every connection, stay away `downtime` seconds, serve again at `address`; the
        engine keeps its executions in progress (on G4 and G5, the chain keeps them). With
        `forget_tokens` the engine itself restarted: G5's runner tokens are gone."""
        await self.drop()
        if forget_tokens:
            self.engine.chain.forget_tokens()
        await asyncio.sleep(downtime)
        await self.start()

    async def __aenter__(self) -> EngineServer:
        return await self.start()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.stop()
