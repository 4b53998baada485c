"""What a transport is: the seam between the Pusher client and the network.

A `Transport` sends a signed `HttpRequest` as a `Connection` says and returns the status and the
whole body, or raises `PusherConnectionError` (`PusherTimeoutError`), whose `sent` says whether
the request may have reached Pusher. Interpreting the answer is not its job (`interpret` does
that). `HttpPool` is the real one, `MockTransport` answers from a function, as httpx's does.
"""

from __future__ import annotations

from typing import Final, Protocol

from ..._version import __version__
from .._requests import HttpRequest
from .._settings import Connection

#: What a transport returns: the HTTP status and the whole body.
Answer = tuple[int, bytes]
USER_AGENT: Final = f"mesg-pusher/{__version__}"


class Transport(Protocol):
    """Sends requests; closed once, after which `send` raises `RuntimeError`."""

    async def send(self, connection: Connection, request: HttpRequest) -> Answer: ...

    async def close(self) -> None: ...
