"""What every generation's gRPC edge shares: a refusal sent as the engine sent it, a stream
relayed from a listener until the engine ends it, the metadata of a call."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any, NoReturn, TypeVar

import grpc
from grpc import aio

from ..mesg.protocol import READY
from ._model import EngineError, Stream, StreamEnded

Context = aio.ServicerContext[Any, Any]
T = TypeVar("T")


async def refuse(context: Context, error: EngineError) -> NoReturn:
    """End the call with the engine's refusal: status UNKNOWN (the engine's plain Go errors)
    unless the error names another, and the engine's text."""
    await context.abort(getattr(grpc.StatusCode, error.code), str(error))
    raise AssertionError("abort returned")  # pragma: no cover - abort always raises


async def relay(
    subscription: Stream[T], context: Context, *, ready: bool
) -> AsyncGenerator[T, None]:
    """Each item of `subscription` as it comes, after the ``status: ready`` header when
    `ready`; the stream ends when the engine ends it, and the listener is forgotten when the
    client goes."""
    try:
        if ready:
            await context.send_initial_metadata(READY)
        while True:
            yield await subscription.get()
    except StreamEnded:
        return
    finally:
        subscription.close()


def metadata(context: Context) -> dict[str, str]:
    """The call's metadata, the first value of each key."""
    found: dict[str, str] = {}
    for key, value in context.invocation_metadata() or ():
        if isinstance(value, str):
            found.setdefault(key, value)
    return found
