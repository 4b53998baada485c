"""The service under the engine: listen for executions, run them, answer each exactly once.

`Service` composes the parts, each with one job:

- `EngineLink` (``_engine_link.py``): the gRPC channel, the task stream read without ever
  waiting, reconnection with backoff, and the ``SubmitResult`` call;
- `Executions` (``_executions.py``): each execution from its arrival to its outcome: duplicates,
  admission (``_admission.py``), the task run by `TaskRunner` (which returns exactly one output,
  checked against mesg.yml, and never raises), the answer, the one boundary for defects, and
  the end of a stop;
- `Submitter` (``_submission.py``): an answer submitted until the engine takes it, the engine's
  refusals read in its own words (``_faults.py``);
- `Ledger` and `Stats` (``_ledger.py``): one outcome each (``_outcomes.py``), counted, and one log
  line naming the execution by a label that never shows a secret (``_labels.py``).

A stop fits the grace period, counted from the signal (``_stopping.py``): the link reads on until
the stream falls quiet, then executions finish and are answered until a final window, in which
those left are stopped or not started and answered with an ``error`` output saying which.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import random
import time
from collections.abc import Callable

from .._version import __version__
from ..mesg import ServiceDefinition, load_packaged
from ..pusher import HttpPool, Transport
from ..tasks import TaskRunner
from ._config import ServeConfig
from ._engine_link import EngineLink, ServiceFailed
from ._executions import Executions
from ._ledger import Stats
from ._stopping import stop_plan
from ._submission import Submitter

log = logging.getLogger("mesg_pusher.runtime")


class Service:
    """Serves the engine at `config.endpoint` until `run`'s stop event is set.

    `draw` gives the random numbers of the backoff jitter and `clock` monotonic seconds, so
    tests may pass their own. `stats` counts what happened.
    """

    def __init__(
        self,
        config: ServeConfig,
        *,
        definition: ServiceDefinition | None = None,
        transport: Transport | None = None,
        draw: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.definition = definition if definition is not None else load_packaged()
        self.stats = Stats()
        self._clock = clock
        self._transport = transport if transport is not None else HttpPool()
        self._runner = TaskRunner(self._transport, definition=self.definition, environ=os.environ)
        self._link = EngineLink(config, self.stats, draw=draw, clock=clock)
        self._executions = Executions(
            config,
            self.definition,
            self._runner,
            Submitter(self._link, config, draw),
            stats=self.stats,
            clock=clock,
        )

    @property
    def listening(self) -> asyncio.Event:
        """Set while the task stream is open."""
        return self._link.listening

    async def run(self, stop: asyncio.Event) -> int:
        """Serve until `stop` is set or the engine refuses the service; the exit status:
        0 after a clean stop, 1 when the service could not go on or results went unsent."""
        config = self.config
        log.info(
            "mesg-pusher %s serving",
            __version__,
            extra={
                "fields": {
                    "tasks": ",".join(sorted(self.definition.tasks)),
                    "endpoint": config.endpoint,
                    "max_in_flight": config.max_in_flight,
                    "queue_size": config.queue_size,
                    "max_held_bytes": config.max_held_bytes,
                    "grace_period_s": config.grace_period,
                    "log_level": config.log_level,
                }
            },
        )
        link = self._link
        listener = asyncio.create_task(link.listen_forever(self._executions.accept))
        stopper = asyncio.create_task(stop.wait())
        status = 0
        plan = stop_plan(config.grace_period)
        began: float | None = None
        try:
            await asyncio.wait({listener, stopper}, return_when=asyncio.FIRST_COMPLETED)
            began = self._clock()
            if listener.done() and not listener.cancelled():
                error = listener.exception()
                if error is not None:
                    status = 1
                    if isinstance(error, ServiceFailed):
                        log.error("cannot serve: %s", error)
                    else:
                        log.error("the task listener failed", exc_info=error)
            else:
                log.info(
                    "stopping within %g s: taking what the engine already sent, then no more",
                    config.grace_period,
                )
                await link.read_on(listener, began + plan.drain_until)
        finally:
            began = self._clock() if began is None else began
            link.closing = True
            stopper.cancel()
            listener.cancel()
            await asyncio.gather(listener, stopper, return_exceptions=True)
            link.listening.clear()
            await self._executions.finish(began, plan)
            await link.close()
            await self._transport.close()
        stats = self.stats
        log.info("stopped", extra={"fields": dataclasses.asdict(stats)})
        return 1 if status or stats.unsent else 0
