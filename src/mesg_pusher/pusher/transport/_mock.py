"""`MockTransport`: a transport that answers from a function, for tests of everything above the
network (the task runner, the client), as httpx's ``MockTransport`` does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from .._requests import HttpRequest
from .._settings import Connection
from ._interface import Answer

Handler = Callable[[Connection, HttpRequest], Answer | Awaitable[Answer]]


class MockTransport:
    """Answers every request with `handler(connection, request)` (a function or a coroutine
    function returning the status and body, or raising as a real transport would) and records
    each request in `sent`, in order."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.sent: list[tuple[Connection, HttpRequest]] = []
        self.closed = False

    async def send(self, connection: Connection, request: HttpRequest) -> Answer:
        if self.closed:
            raise RuntimeError("the HTTP pool is closed")
        self.sent.append((connection, request))
        answer = self.handler(connection, request)
        if isinstance(answer, tuple):
            return answer
        return await answer

    async def close(self) -> None:
        self.closed = True
