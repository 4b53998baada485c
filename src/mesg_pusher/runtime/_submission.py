"""Submitting an execution's answer until the engine takes it, or it is clear it never will.

The engine's answer decides (see ``_verdicts.py``): an execution it has no longer in progress is
dropped, not retried; an output it refuses is replaced once by the ``error`` output saying why;
while it cannot be reached the answer is retried with backoff for as long as the service runs
(the engine's results of executions that finished meanwhile wait, in their task, for it to come
back); any other failure is retried `FAILED_SUBMIT_TRIES` times. The loop is the one every call
to the engine goes through (``_retry.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from .._backoff import Backoff
from ..tasks import TaskOutput
from ._config import ServeConfig
from ._engine_api import CallFailed, EngineApi
from ._error_outputs import refused_by_engine
from ._execution import ExecutionInHand
from ._labels import engine_details
from ._outcomes import ExecutionOutcome
from ._retry import Again, Done, retry
from ._verdicts import SubmitVerdict, submit_verdict

log = logging.getLogger("mesg_pusher.runtime")

#: Tries for a result the engine fails on for reasons other than being unreachable.
FAILED_SUBMIT_TRIES: Final = 5
GONE: Final = (
    "the engine has no such execution in progress (answered already, or forgotten by a "
    "restarted engine)"
)
#: What `Submitter.submit` gives: None when the engine took the answer, else the outcome the
#: execution ends in and why; and the output finally offered.
Submitted = tuple[ExecutionOutcome | None, TaskOutput, str | None]


def _not_counted() -> None:
    return None


class Submitter:
    """Submits answers through `api`; `draw` gives the retry jitter's random numbers, and
    `retried` is called for each attempt made again."""

    def __init__(
        self,
        api: EngineApi,
        config: ServeConfig,
        draw: Callable[[], float],
        retried: Callable[[], None] = _not_counted,
    ) -> None:
        self._api = api
        self._config = config
        self._draw = draw
        self._retried = retried

    def _backoff(self) -> Backoff:
        return self._config.backoff(self._draw)

    async def submit(self, execution: ExecutionInHand, output: TaskOutput) -> Submitted:
        """Submit `output` until the engine takes it. None when it did, else the outcome the
        execution ends in and why; and the output finally offered."""
        offered = output
        failures = 0
        shown = ""

        async def call() -> Submitted:
            await self._api.submit(execution.id, offered)
            return None, offered, None

        def judge(failure: CallFailed) -> Again | Done[Submitted]:
            nonlocal offered, failures, shown
            assert failure.code is not None
            verdict = submit_verdict(failure.code, failure.details, failure.generation)
            if verdict is SubmitVerdict.GONE:  # its text names the raw id: not repeated
                return Done((ExecutionOutcome.DROPPED, offered, GONE))
            shown = engine_details(
                failure.details,
                execution_id=execution.id,
                label=execution.label,
                secrets=execution.secrets(),
            )
            if verdict is SubmitVerdict.REFUSED:
                log.error("execution %s: the engine refused the output: %s", execution.label, shown)
                replacement = refused_by_engine(offered, shown)
                if replacement is None:
                    return Done(
                        (ExecutionOutcome.REFUSED, offered, f"the engine refused it: {shown}")
                    )
                offered = replacement
                return Again.NOW
            failures += 1
            if verdict is SubmitVerdict.FAILED and failures >= FAILED_SUBMIT_TRIES:
                name = failure.code.name
                log.error(
                    "execution %s: giving up on the result after %d tries: %s %s",
                    execution.label,
                    failures,
                    name,
                    shown,
                )
                return Done((ExecutionOutcome.UNSENT, offered, f"{name}: {shown}"))
            return Again.LATER

        def waiting(failure: CallFailed, delay: float) -> None:
            self._retried()
            if failures == 1 or log.isEnabledFor(logging.DEBUG):
                assert failure.code is not None
                log.warning(
                    "execution %s: submitting the result failed (%s: %s); retrying in %.2f s",
                    execution.label,
                    failure.code.name,
                    shown,
                    delay,
                )

        return await retry(call, judge, self._backoff, waiting=waiting)
