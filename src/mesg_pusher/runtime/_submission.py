"""Submitting an execution's answer until the engine takes it, or it is clear it never will.

The engine's answer decides (see ``_faults.py``): an execution it has no longer in progress is
dropped, not retried; an output it refuses is replaced once by the ``error`` output saying why;
while it cannot be reached the answer is retried with backoff for as long as the service runs
(the engine's results of executions that finished meanwhile wait, in their task, for it to come
back); any other failure is retried `FAILED_SUBMIT_TRIES` times.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from grpc import aio

from .._backoff import Backoff
from ..mesg.protocol.service_pb2 import SubmitResultRequest
from ..tasks import Output
from ._config import ServeConfig
from ._engine_link import EngineLink
from ._faults import SubmitVerdict, submit_verdict
from ._labels import engine_details
from ._ledger import Stats
from ._outcomes import Outcome
from ._outputs import refused_by_engine

if TYPE_CHECKING:
    from ._executions import Execution

log = logging.getLogger("mesg_pusher.runtime")

#: Tries for a result the engine fails on for reasons other than being unreachable.
FAILED_SUBMIT_TRIES: Final = 5
GONE: Final = (
    "the engine has no such execution in progress (answered already, or forgotten by a "
    "restarted engine)"
)
_SENT: Final = Output.success()
_SENT_JSON: Final = _SENT.json()


class Submitter:
    """Submits answers through `link`; `draw` gives the retry jitter's random numbers."""

    def __init__(
        self,
        link: EngineLink,
        config: ServeConfig,
        draw: Callable[[], float],
        stats: Stats | None = None,
    ) -> None:
        self._link = link
        self._config = config
        self._draw = draw
        self._stats = stats

    async def submit(
        self, execution: Execution, output: Output
    ) -> tuple[Outcome | None, Output, str | None]:
        """Submit `output` until the engine takes it. None when it did, else the outcome the
        execution ends in and why; and the output finally offered."""
        request = _request(execution.id, output)
        backoff: Backoff | None = None
        failures = 0
        while True:
            try:
                await self._link.submit(request)
                return None, output, None
            except aio.AioRpcError as error:
                code = error.code()
                details = error.details() or ""
            verdict = submit_verdict(code, details)
            if verdict is SubmitVerdict.GONE:  # its text names the raw id: not repeated
                return Outcome.DROPPED, output, GONE
            shown = engine_details(
                details,
                execution_id=execution.id,
                label=execution.label,
                secrets=execution.secrets(),
            )
            if verdict is SubmitVerdict.REFUSED:
                log.error("execution %s: the engine refused the output: %s", execution.label, shown)
                replacement = refused_by_engine(output, shown)
                if replacement is None:
                    return Outcome.REFUSED, output, f"the engine refused it: {shown}"
                output = replacement
                request = _request(execution.id, output)
                continue
            failures += 1
            if verdict is SubmitVerdict.FAILED and failures >= FAILED_SUBMIT_TRIES:
                log.error(
                    "execution %s: giving up on the result after %d tries: %s %s",
                    execution.label,
                    failures,
                    code.name,
                    shown,
                )
                return Outcome.UNSENT, output, f"{code.name}: {shown}"
            if backoff is None:
                backoff = self._config.backoff(self._draw)
            delay = backoff.next_delay()
            if self._stats is not None:
                self._stats.retried += 1
            if failures == 1 or log.isEnabledFor(logging.DEBUG):
                log.warning(
                    "execution %s: submitting the result failed (%s: %s); retrying in %.2f s",
                    execution.label,
                    code.name,
                    shown,
                    delay,
                )
            await asyncio.sleep(delay)


def _request(execution_id: str, output: Output) -> SubmitResultRequest:
    # The usual answer's JSON is written once.
    data = _SENT_JSON if output == _SENT else output.json()
    return SubmitResultRequest(executionID=execution_id, outputKey=output.key, outputData=data)
