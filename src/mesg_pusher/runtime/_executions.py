"""Executions from their arrival to their outcome: admission, running, answering, stopping.

`accept` is called by the stream reader for every task message and decides at once, never
waiting (the engine hands executions over under a global lock). An execution delivered again
while in hand or lately answered is not run again. One too large, or unreadable but naming its
id, is answered at once with the ``error`` output; so is one beyond the slots, the queue or the
byte budget (`Admission`), with "the service is overloaded".

Executions move through two lanes of slots: the running lane (the task, then its result) and the
preset lane (a preset output, given without running the task: too large, unreadable,
overloaded, a defect's). A slot takes over waiting executions of its lane in turn. `_slot` is
the one boundary for defects of ours: an execution a defect broke is answered anyway, with
`mesg_pusher.tasks.defect`'s words.

The running lane runs a task through `IdempotentRunner` (``_idempotent_runs.py``): an execution
with an ``idempotencyKey`` runs at most once per key within the window, a later one answered
with the first one's output.

`finish` applies the end of a stop plan (see ``_stopping.py``): running and waiting executions
finish until `stop_at`; then those still running are stopped and those still waiting are not
started, each answered with an ``error`` output saying which; what is not submitted by
`exit_at` is unsent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from ..mesg import ServiceDefinition
from ..tasks import ERROR, SUCCESS, Kind, TaskOutput, TaskRunner, defect
from ._admission import Admission, Decision
from ._config import ServeConfig
from ._deliveries import Deliveries
from ._engine_api import TaskMessage
from ._error_outputs import (
    NOT_STARTED,
    overloaded,
    stopped_while_running,
    too_large,
    undecodable,
)
from ._execution import ExecutionInHand, Naming
from ._idempotent_runs import Attempt, IdempotentRunner
from ._ledger import Ledger
from ._outcomes import ExecutionOutcome
from ._stats import Stats
from ._stopping import StopPlan
from ._submission import Submitter

log = logging.getLogger("mesg_pusher.runtime")

#: Preset outputs (overloaded, too large...) submitted at once, and waiting for that.
PRESET_SENDERS: Final = 16
PRESET_BACKLOG: Final = 10_000


@dataclass(frozen=True, slots=True)
class _Lane:
    """Slots and a queue (`admission`), and what a slot does with each execution (`step`)."""

    admission: Admission[ExecutionInHand]
    step: Callable[[ExecutionInHand], Awaitable[None]]
    counts_bytes: bool  # the admission holds the execution's size


class Executions:
    """Every execution from `accept` to its outcome."""

    def __init__(
        self,
        config: ServeConfig,
        definition: ServiceDefinition,
        runner: TaskRunner,
        submitter: Submitter,
        *,
        keyed: IdempotentRunner,
        stats: Stats,
        clock: Callable[[], float],
    ) -> None:
        self._keyed = keyed
        self._submitter = submitter
        self._stats = stats
        self._ledger = Ledger(stats)
        self._clock = clock
        self._max_input_bytes = config.max_input_bytes
        self._runner = runner
        self._naming = Naming(definition.name, definition.tasks, runner.secrets_of)
        self._deliveries = Deliveries()
        self._admission: Admission[ExecutionInHand] = Admission(
            max_in_flight=config.max_in_flight,
            queue_size=config.queue_size,
            max_bytes=config.max_held_bytes,
        )
        self._presets: Admission[ExecutionInHand] = Admission(
            max_in_flight=PRESET_SENDERS, queue_size=PRESET_BACKLOG, max_bytes=0
        )
        self._running = _Lane(self._admission, self._run, counts_bytes=True)
        self._preset_lane = _Lane(self._presets, self._submit_preset, counts_bytes=False)
        self._tasks: set[asyncio.Task[None]] = set()
        self._executing: set[asyncio.Task[Any]] = set()
        self._abandoning = False

    @property
    def admission(self) -> Admission[ExecutionInHand]:
        """The running lane's slots, queue and byte budget (read by the gauges)."""
        return self._admission

    # Arrival ---------------------------------------------------------------------------------

    def accept(self, message: TaskMessage) -> None:
        """Decide at once for one task message."""
        if message.problem is not None:
            self._accept_unreadable(message, message.problem)
            return
        self._stats.received += 1
        size = message.size
        taken = size <= self._max_input_bytes  # the inputs of a larger one are not kept
        execution = ExecutionInHand(
            message.execution_id or "",
            message.task_key or "",
            message.input_data if taken else None,
            size,
            self._clock(),
            naming=self._naming,
        )
        if not self._deliveries.arrive(execution.key, execution.arrived):
            self._duplicate(execution)
        elif not taken:
            self._preset(execution, too_large(size, self._max_input_bytes), ExecutionOutcome.FAILED)
        else:
            decision = self._admission.offer(execution, size)
            if decision is Decision.RUN:
                self._spawn(self._running, execution)
            elif decision is Decision.REFUSE:
                admission = self._admission
                output = overloaded(admission.running, admission.waiting)
                self._preset(execution, output, ExecutionOutcome.OVERLOADED)

    def _accept_unreadable(self, message: TaskMessage, problem: str) -> None:
        if message.execution_id is None:
            self._stats.undecodable += 1
            log.error(
                "skipped a task message that cannot be decoded and names no execution that "
                "could be answered (%d bytes): %s",
                message.size,
                problem,
            )
            return
        self._stats.received += 1
        execution = ExecutionInHand(
            message.execution_id,
            message.task_key or "",
            None,
            message.size,
            self._clock(),
            naming=self._naming,
        )
        if not self._deliveries.arrive(execution.key, execution.arrived):
            self._duplicate(execution)
            return
        log.warning(
            "execution %s: its task message cannot be decoded (%s); answering with an error",
            execution.label,
            problem,
        )
        self._preset(execution, undecodable(problem), ExecutionOutcome.FAILED)

    def _duplicate(self, execution: ExecutionInHand) -> None:
        """An execution in hand or lately answered, delivered again: its first delivery
        answers it."""
        self._ledger.settle(
            execution,
            ExecutionOutcome.DUPLICATE,
            0.0,
            reason="delivered again while in hand or lately answered; not run again",
        )

    def _spawn(self, lane: _Lane, execution: ExecutionInHand) -> None:
        task = asyncio.get_running_loop().create_task(self._slot(lane, execution))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # Slots -----------------------------------------------------------------------------------

    async def _slot(self, lane: _Lane, execution: ExecutionInHand) -> None:
        """Runs `execution` through `lane`'s step, then each waiting execution handed over."""
        current: ExecutionInHand | None = execution
        while current is not None:
            try:
                await lane.step(current)
            except Exception as error:  # the one boundary for defects of ours
                self._after_defect(current, error)
            current = lane.admission.finished(current.size if lane.counts_bytes else 0)

    def _after_defect(self, execution: ExecutionInHand, error: Exception) -> None:
        """A defect of ours broke `execution`: it is answered anyway, with the defect's words
        (which also leave a trace in the log)."""
        output = defect(execution.task_label, error)
        if execution.settled:
            return
        if execution.defective:  # answering the defect broke too
            self._settle(execution, ExecutionOutcome.UNSENT, reason="a defect of the service")
            return
        execution.defective = True
        self._preset(execution, output, ExecutionOutcome.FAILED)

    async def _run(self, execution: ExecutionInHand) -> None:
        """The running lane's step: the task, then its answer."""
        if self._abandoning:  # taken from the queue after the stop: never started
            output = NOT_STARTED
        else:
            task = asyncio.current_task()
            assert task is not None
            self._executing.add(task)
            attempt = Attempt()
            try:
                inputs = execution.input_data
                output = await self._keyed.execute(
                    execution.task_key, inputs if inputs is not None else "", attempt
                )
            except asyncio.CancelledError:
                if not self._abandoning:
                    raise
                task.uncancel()  # stopped by the grace period: answer instead
                if attempt.started:
                    publishes = self._runner.publishes(execution.task_key)
                    output = stopped_while_running(publishes=publishes)
                else:
                    output = NOT_STARTED
            finally:
                self._executing.discard(task)
            if attempt.replayed:
                self._stats.replayed += 1
        await self._submit(execution, output, None)

    async def _submit_preset(self, execution: ExecutionInHand) -> None:
        """The preset lane's step: the output given without running the task."""
        assert execution.preset_output is not None
        await self._submit(execution, execution.preset_output, execution.outcome)

    def _preset(
        self, execution: ExecutionInHand, output: TaskOutput, outcome: ExecutionOutcome
    ) -> None:
        """Answer `execution` with `output`, without running it; `outcome` once taken."""
        execution.preset_output, execution.outcome = output, outcome
        decision = self._presets.offer(execution)
        if decision is Decision.RUN:
            self._spawn(self._preset_lane, execution)
        elif decision is Decision.REFUSE:
            self._settle(
                execution, ExecutionOutcome.UNSENT, reason="too many answers waiting to be sent"
            )

    # Results ---------------------------------------------------------------------------------

    async def _submit(
        self, execution: ExecutionInHand, output: TaskOutput, outcome: ExecutionOutcome | None
    ) -> None:
        """Submit `output` and settle the execution; `outcome`, when given, is that of a
        preset output."""
        try:
            failure, output, reason = await self._submitter.submit(execution, output)
        except asyncio.CancelledError:
            self._settle(execution, ExecutionOutcome.UNSENT, reason="the grace period ended first")
            raise
        if failure is not None:
            outcome = failure
        elif outcome is None:
            if output.key == ERROR and output.data.get("kind") == Kind.STOPPED:
                outcome = ExecutionOutcome.STOPPED
            else:
                outcome = (
                    ExecutionOutcome.SUCCEEDED if output.key == SUCCESS else ExecutionOutcome.FAILED
                )
        error = output.data.get("error") if output.key == ERROR else None
        self._settle(execution, outcome, error=error, reason=reason)

    def _settle(
        self,
        execution: ExecutionInHand,
        outcome: ExecutionOutcome,
        *,
        error: Any = None,
        reason: str | None = None,
    ) -> None:
        now = self._clock()
        execution.settled = True
        self._deliveries.done(execution.key, now)
        self._ledger.settle(execution, outcome, now - execution.arrived, error=error, reason=reason)

    # The end ---------------------------------------------------------------------------------

    async def finish(self, began: float, plan: StopPlan) -> None:
        """Let running and waiting executions finish until the plan's `stop_at`, then stop
        those still running, answer those still waiting without starting them, and give up on
        what is not submitted by `exit_at` (both counted from `began`, the stop signal)."""
        if not self._tasks:
            return
        admission = self._admission
        log.info(
            "waiting up to %.1f s for %d execution%s (%d running, %d waiting)",
            max(0.0, began + plan.stop_at - self._clock()),
            admission.running + admission.waiting,
            "" if admission.running + admission.waiting == 1 else "s",
            admission.running,
            admission.waiting,
        )
        _, pending = await asyncio.wait(
            set(self._tasks), timeout=max(0.0, began + plan.stop_at - self._clock())
        )
        if not pending:
            return
        self._abandoning = True
        log.warning(
            "the grace period ends in %.1f s: answering %d unfinished executions with an error "
            "(%d stopped while running, %d not started)",
            max(0.0, began + plan.exit_at - self._clock()),
            admission.running + admission.waiting,
            len(self._executing),
            admission.waiting,
        )
        for task in list(self._executing):
            task.cancel()
        _, pending = await asyncio.wait(
            pending, timeout=max(0.0, began + plan.exit_at - self._clock())
        )
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for left in admission.take_waiting() + self._presets.take_waiting():
            self._settle(left, ExecutionOutcome.UNSENT, reason="the grace period ended first")
