"""The service under the engine: listen for executions, run them, answer each exactly once.

Theory of operation. One task reads the ``ListenTask`` stream and never waits on anything else,
because the engine hands each execution to its listeners under a global lock. For each
``TaskData`` the pure `Admission` decides: run it now (one asyncio task, which afterwards takes
over waiting executions in turn), let it wait in the bounded queue, or refuse it at once with the
``error`` output "the service is overloaded". An execution runs through `TaskRunner.execute`
(inputs validated with the engine's rules, never raises, its output checked against mesg.yml),
and the result is submitted with ``SubmitResult``, retried with backoff while the engine cannot
be reached: results of executions that finish while the engine is away wait, in their task, for
it to come back. The engine's answers decide the rest: "doesn't exists" drops a result, a refused
output is replaced once by the ``error`` output saying why.

When the stream breaks, the reader reconnects with capped, jittered exponential backoff, logging
each attempt; a channel gRPC holds in TRANSIENT_FAILURE is replaced at the next attempt, so that
gRPC's own reconnection schedule never adds to ours. An execution larger than MAX_INPUT_BYTES is
answered at once with the ``error`` output and not run.

A stop fits the grace period, counted from the signal (see ``_stopping.py``): the reader stops
first, once it has taken what the engine already sent (the stream falls quiet); running and
waiting executions then finish and are answered until a final window before the end, when those
still running are stopped and those still waiting are not started, each answered with an
``error`` output saying which; what is not submitted by the end is logged as unsent.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import grpc
from grpc import aio

from .._errors import MesgPusherError
from .._version import __version__
from ..mesg import ServiceDefinition, load_packaged
from ..mesg.protocol.service_pb2 import ListenTaskRequest, SubmitResultRequest, TaskData
from ..mesg.protocol.service_pb2_grpc import ServiceStub
from ..pusher import HttpPool
from ..tasks import ERROR, SUCCESS, Output, TaskRunner, defect
from ._admission import Admission, Decision
from ._backoff import Backoff
from ._config import ServeConfig
from ._faults import SubmitVerdict, listen_refusal, submit_verdict
from ._outputs import NOT_STARTED, STOPPED, overloaded, refused_by_engine, too_large
from ._stopping import DRAIN_QUIET, StopPlan, stop_plan

if TYPE_CHECKING:
    from ..mesg.protocol.service_pb2_grpc import ServiceAsyncStub

log = logging.getLogger("mesg_pusher.runtime")

#: Refusals ("overloaded") submitted at once, and refusals waiting for that (ids and a message).
REFUSAL_SENDERS: Final = 16
REFUSAL_BACKLOG: Final = 10_000
#: Tries for a result the engine fails on for reasons other than being unreachable.
FAILED_SUBMIT_TRIES: Final = 5
#: Longest error text repeated in a log line.
LOGGED_ERROR_CHARS: Final = 300
#: Client keepalive: well above the 5 minutes under which Go servers call pings abusive, and
#: well below the 15 idle minutes after which Docker's network drops a connection.
KEEPALIVE_MS: Final = 6 * 60 * 1000
#: The least time a connection attempt is given (gRPC's "minimum connect timeout").
CONNECT_TIMEOUT_MS: Final = 5_000

# Outcomes in the per-execution log line.
OVERLOADED: Final = "overloaded"
STOPPED_SHORT: Final = "stopped"
DROPPED: Final = "dropped"  # the engine had no such execution in progress
REFUSED: Final = "refused"  # the engine refused even the error output
UNSENT: Final = "unsent"  # never reached the engine


class ServiceFailed(MesgPusherError):
    """The service cannot go on: the engine refused its token, or is not such an engine."""


@dataclass
class Stats:
    """Counts since start; every received execution ends in exactly one outcome counter."""

    received: int = 0
    succeeded: int = 0
    failed: int = 0
    overloaded: int = 0
    stopped: int = 0
    dropped: int = 0
    refused: int = 0
    unsent: int = 0
    connections: int = 0

    @property
    def answered(self) -> int:
        """Executions whose result the engine took."""
        return self.succeeded + self.failed + self.overloaded + self.stopped

    @property
    def settled(self) -> int:
        """Executions with an outcome; equals `received` once the service has stopped."""
        return self.answered + self.dropped + self.refused + self.unsent


def channel_options(config: ServeConfig) -> list[tuple[str, Any]]:
    """gRPC channel settings: our own retries only, keepalive, any message size (an oversized
    execution is answered, not left to break the stream). gRPC reconnects a failed channel on
    its own no sooner than our longest wait: the service replaces such a channel at its next
    attempt, so our backoff alone paces reconnection."""
    cap_ms = int(config.reconnect_max_delay * 1000)
    return [
        ("grpc.enable_retries", 0),
        ("grpc.initial_reconnect_backoff_ms", cap_ms),
        ("grpc.max_reconnect_backoff_ms", cap_ms),
        ("grpc.min_reconnect_backoff_ms", CONNECT_TIMEOUT_MS),
        # Otherwise a new channel shares the failed one's connection, backoff timer included.
        ("grpc.use_local_subchannel_pool", 1),
        ("grpc.keepalive_time_ms", KEEPALIVE_MS),
        ("grpc.keepalive_timeout_ms", 20_000),
        ("grpc.http2.max_pings_without_data", 0),
        ("grpc.max_receive_message_length", -1),
    ]


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
        http: HttpPool | None = None,
        draw: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.definition = definition if definition is not None else load_packaged()
        self.stats = Stats()
        self._http = http if http is not None else HttpPool()
        self._runner = TaskRunner(self._http, definition=self.definition)
        self._draw = draw
        self._clock = clock
        self._admission: Admission[TaskData] = Admission(
            max_in_flight=config.max_in_flight,
            queue_size=config.queue_size,
            queue_bytes=config.queue_bytes,
        )
        # Executions answered at once without running: (id, task key, answer, outcome).
        self._refusals: Admission[tuple[str, str, Output, str]] = Admission(
            max_in_flight=REFUSAL_SENDERS, queue_size=REFUSAL_BACKLOG, queue_bytes=0
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._executing: set[asyncio.Task[Any]] = set()
        self._abandoning = False
        self._delivered = 0
        self._last_delivery = 0.0
        self._closing = False
        self._channel: aio.Channel | None = None
        self._stub: ServiceAsyncStub | None = None
        self.listening = asyncio.Event()

    # The whole life -------------------------------------------------------------------------

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
                    "grace_period_s": config.grace_period,
                    "log_level": config.log_level,
                }
            },
        )
        self._open_channel()
        listener = asyncio.create_task(self._listen_forever())
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
                await self._stop_listening(listener, began + plan.drain_until)
        finally:
            began = self._clock() if began is None else began
            self._closing = True
            stopper.cancel()
            listener.cancel()
            await asyncio.gather(listener, stopper, return_exceptions=True)
            self.listening.clear()
            await self._drain(began, plan)
            if self._channel is not None:
                await self._channel.close(None)
            await self._http.close()
        stats = self.stats
        log.info("stopped", extra={"fields": dataclasses.asdict(stats)})
        return 1 if status or stats.unsent else 0

    async def _stop_listening(self, listener: asyncio.Task[None], until: float) -> None:
        """Read on until the stream has been quiet for DRAIN_QUIET (or `until`): cancelling the
        stream drops whatever the engine sent that is not read yet, and the engine counts those
        executions as delivered."""
        self._closing = True
        while not listener.done() and self.listening.is_set():
            left = until - self._clock()
            if left <= 0:
                break
            await asyncio.sleep(min(DRAIN_QUIET, left))
            await asyncio.sleep(0)  # lets a read that is already due land first
            if self._clock() - self._last_delivery >= DRAIN_QUIET:
                break
        listener.cancel()

    async def _drain(self, began: float, plan: StopPlan) -> None:
        """Let running and waiting executions finish until the plan's `stop_at`, then stop
        those still running, answer those still waiting without starting them, and give up on
        what is not submitted by `exit_at` (both counted from `began`, the stop signal)."""
        if not self._tasks:
            return
        admission = self._admission
        log.info(
            "waiting up to %.1f s for %d executions (%d running, %d waiting)",
            max(0.0, began + plan.stop_at - self._clock()),
            admission.running + admission.waiting,
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
        for left in admission.take_waiting():
            self._settle(left.executionID, left.taskKey, UNSENT, 0.0, None)
        for execution_id, task_key, _, _ in self._refusals.take_waiting():
            self._settle(execution_id, task_key, UNSENT, 0.0, None)

    # The channel ------------------------------------------------------------------------------

    def _open_channel(self) -> tuple[aio.Channel, ServiceAsyncStub]:
        channel = aio.insecure_channel(self.config.target, options=channel_options(self.config))
        stub: ServiceAsyncStub = ServiceStub(channel)
        self._channel, self._stub = channel, stub
        return channel, stub

    async def _renew_failed_channel(self) -> tuple[aio.Channel, ServiceAsyncStub]:
        """Before an attempt to listen: a channel gRPC holds in TRANSIENT_FAILURE fails every
        call at once with its last error until gRPC's own reconnection timer fires, so it is
        replaced, and the attempt connects now. Results waiting on the old channel were not
        sent (it has no connection); closing it makes them try again on the new one."""
        old, stub = self._channel, self._stub
        if old is None or stub is None:
            return self._open_channel()
        if old.get_state() is not grpc.ChannelConnectivity.TRANSIENT_FAILURE:
            return old, stub
        renewed = self._open_channel()
        await asyncio.shield(old.close(None))
        return renewed

    # Listening ------------------------------------------------------------------------------

    async def _listen_forever(self) -> None:
        config = self.config
        backoff = Backoff(
            base=config.reconnect_base_delay, cap=config.reconnect_max_delay, draw=self._draw
        )
        while True:
            attempt = backoff.attempt + 1
            log.info(
                "connecting to the engine",
                extra={"fields": {"endpoint": config.endpoint, "attempt": attempt}},
            )
            opened = self._clock()
            delivered = self._delivered
            connections = self.stats.connections
            try:
                await self._listen_once()
                reason = "the engine ended the task stream"
            except aio.AioRpcError as error:
                details = error.details() or ""
                refusal = listen_refusal(error.code(), details)
                if refusal is not None:
                    raise ServiceFailed(refusal) from None
                reason = f"{error.code().name}: {details}"
            finally:
                self.listening.clear()
            if self._closing:
                return
            if self._delivered > delivered or self._clock() - opened >= config.reconnect_max_delay:
                backoff.reset()  # that connection worked: start the schedule over
            delay = backoff.next_delay()
            lost = self.stats.connections > connections
            log.warning(
                "lost the engine" if lost else "could not reach the engine",
                extra={
                    "fields": {
                        "endpoint": config.endpoint,
                        "reason": reason,
                        "retry_in_s": round(delay, 3),
                    }
                },
            )
            await asyncio.sleep(delay)

    async def _listen_once(self) -> None:
        """One ``ListenTask`` stream, read until it ends (returns) or fails (raises)."""
        channel, stub = await self._renew_failed_channel()
        call = stub.ListenTask(ListenTaskRequest(token=self.config.token))
        announcer = asyncio.create_task(self._announce(channel, call))
        try:
            accept = self._accept
            async for task_data in call:
                accept(task_data)
        finally:
            call.cancel()
            announcer.cancel()

    async def _announce(
        self, channel: aio.Channel, call: aio.UnaryStreamCall[ListenTaskRequest, TaskData]
    ) -> None:
        """Log the connection once the channel is up, and the ``status: ready`` header if it
        comes. The header is not waited for: engines before v0.7 send no header until the first
        execution (and gRPC's own "connected" waits for a header)."""
        try:
            await channel.channel_ready()
            self.stats.connections += 1
            self.listening.set()
            log.info("listening for tasks", extra={"fields": {"endpoint": self.config.endpoint}})
            metadata = await call.initial_metadata()
        except aio.AioRpcError:
            return
        if metadata is not None and "ready" in metadata.get_all("status"):
            log.info("the engine reports the task stream ready")

    def _accept(self, task_data: TaskData) -> None:
        """Called for every ``TaskData`` by the reader: decides at once, never waits."""
        self.stats.received += 1
        self._delivered += 1
        self._last_delivery = self._clock()
        size = task_data.ByteSize()
        if size > self.config.max_input_bytes:  # answered at once; its inputs are not kept
            answer = too_large(size, self.config.max_input_bytes)
            self._refuse(task_data.executionID, task_data.taskKey, answer, ERROR)
            return
        decision = self._admission.offer(task_data, size)
        if decision is Decision.RUN:
            self._spawn(self._work(task_data))
        elif decision is Decision.REFUSE:
            answer = overloaded(self._admission.running, self._admission.waiting)
            self._refuse(task_data.executionID, task_data.taskKey, answer, OVERLOADED)

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # Executions -----------------------------------------------------------------------------

    async def _work(self, task_data: TaskData | None) -> None:
        """Runs `task_data`, then each waiting execution handed over to this slot."""
        task = asyncio.current_task()
        while task_data is not None:
            try:
                await self._handle(task_data, task)
            except Exception:  # a defect of ours: keep the slot turning, leave a trace
                log.exception("execution %s: unexpected failure", task_data.executionID)
            task_data = self._admission.finished()

    async def _handle(self, task_data: TaskData, task: asyncio.Task[Any] | None) -> None:
        started = self._clock()
        task_key = task_data.taskKey
        if self._abandoning:  # taken from the queue after the stop: never started
            output = NOT_STARTED
        else:
            if task is not None:
                self._executing.add(task)
            try:
                output = await self._runner.execute(task_key, task_data.inputData)
            except asyncio.CancelledError:
                if not self._abandoning or task is None:
                    raise
                task.uncancel()  # stopped by the grace period: answer instead
                output = STOPPED
            except Exception as error:  # a defect of ours: the execution is answered anyway
                output = defect(task_key, error)
            finally:
                if task is not None:
                    self._executing.discard(task)
        await self._answer(task_data.executionID, task_key, output, started)

    def _refuse(self, execution_id: str, task_key: str, answer: Output, outcome: str) -> None:
        """Answer an execution at once with `answer`, without running it."""
        item = (execution_id, task_key, answer, outcome)
        decision = self._refusals.offer(item)
        if decision is Decision.RUN:
            self._spawn(self._refuse_work(item))
        elif decision is Decision.REFUSE:
            self._settle(execution_id, task_key, UNSENT, 0.0, "too many answers waiting to be sent")

    async def _refuse_work(self, item: tuple[str, str, Output, str] | None) -> None:
        while item is not None:
            execution_id, task_key, answer, outcome = item
            try:
                await self._answer(execution_id, task_key, answer, self._clock(), outcome)
            except Exception:  # a defect of ours
                log.exception("execution %s: unexpected failure", execution_id)
            item = self._refusals.finished()

    # Answers --------------------------------------------------------------------------------

    async def _answer(
        self,
        execution_id: str,
        task_key: str,
        output: Output,
        started: float,
        outcome: str | None = None,
    ) -> None:
        """Submit `output` and write the execution's log line; `outcome`, when given, is the
        outcome of an answer given without running the task (overloaded, too large)."""
        try:
            failure, output = await self._submit(execution_id, task_key, output)
        except asyncio.CancelledError:
            self._settle(execution_id, task_key, UNSENT, self._clock() - started, None)
            raise
        if failure is not None:
            outcome = failure
        elif outcome is None:
            outcome = STOPPED_SHORT if output is STOPPED or output is NOT_STARTED else output.key
        error = output.data.get("error") if output.key == ERROR else None
        self._settle(execution_id, task_key, outcome, self._clock() - started, error)

    async def _submit(
        self, execution_id: str, task_key: str, output: Output
    ) -> tuple[str | None, Output]:
        """Submit until the engine takes it; None when it did, else the failed outcome, and the
        output finally offered."""
        request = SubmitResultRequest(
            executionID=execution_id, outputKey=output.key, outputData=output.json()
        )
        backoff: Backoff | None = None
        failures = 0
        while True:
            stub = self._stub
            assert stub is not None
            try:
                await stub.SubmitResult(
                    request, timeout=self.config.submit_timeout, wait_for_ready=True
                )
                return None, output
            except aio.AioRpcError as error:
                code = error.code()
                details = error.details() or ""
            except asyncio.CancelledError:
                # gRPC cancels the calls of a channel it closes. When the service replaced the
                # channel (it had no connection, so the call was not sent), try again on the
                # new one; when this task is being cancelled, stop.
                task = asyncio.current_task()
                if stub is self._stub or (task is not None and task.cancelling()):
                    raise
                continue
            verdict = submit_verdict(code, details)
            if verdict is SubmitVerdict.GONE:
                log.warning(
                    "execution %s: the engine has no such execution in progress (answered "
                    "already, or forgotten by a restarted engine): %s",
                    execution_id,
                    details,
                )
                return DROPPED, output
            if verdict is SubmitVerdict.REFUSED:
                replacement = refused_by_engine(output, details)
                log.error("execution %s: the engine refused the output: %s", execution_id, details)
                if replacement is None:
                    return REFUSED, output
                output = replacement
                request = SubmitResultRequest(
                    executionID=execution_id, outputKey=output.key, outputData=output.json()
                )
                continue
            failures += 1
            if verdict is SubmitVerdict.FAILED and failures >= FAILED_SUBMIT_TRIES:
                log.error(
                    "execution %s: giving up on the result after %d tries: %s %s",
                    execution_id,
                    failures,
                    code.name,
                    details,
                )
                return UNSENT, output
            if backoff is None:
                backoff = Backoff(
                    base=self.config.reconnect_base_delay,
                    cap=self.config.reconnect_max_delay,
                    draw=self._draw,
                )
            delay = backoff.next_delay()
            if failures == 1 or log.isEnabledFor(logging.DEBUG):
                log.warning(
                    "execution %s: submitting the result failed (%s: %s); retrying in %.2f s",
                    execution_id,
                    code.name,
                    details,
                    delay,
                )
            await asyncio.sleep(delay)

    def _settle(
        self,
        execution_id: str,
        task_key: str,
        outcome: str,
        duration: float,
        error: Any,
    ) -> None:
        """Count the execution's outcome and write its one log line."""
        stats = self.stats
        if outcome == SUCCESS:
            stats.succeeded += 1
            level = logging.INFO
        elif outcome == ERROR:
            stats.failed += 1
            level = logging.INFO
        elif outcome == OVERLOADED:
            stats.overloaded += 1
            level = logging.WARNING
        elif outcome == STOPPED_SHORT:
            stats.stopped += 1
            level = logging.WARNING
        elif outcome == DROPPED:
            stats.dropped += 1
            level = logging.WARNING
        elif outcome == REFUSED:
            stats.refused += 1
            level = logging.ERROR
        else:
            stats.unsent += 1
            level = logging.ERROR
        if not log.isEnabledFor(level):
            return
        fields: dict[str, Any] = {
            "execution_id": execution_id,
            "task": task_key,
            "outcome": outcome,
            "duration_ms": round(duration * 1000, 1),
        }
        if error is not None:
            text = str(error)
            fields["error"] = (
                text if len(text) <= LOGGED_ERROR_CHARS else text[:LOGGED_ERROR_CHARS] + "..."
            )
        log.log(level, "execution", extra={"fields": fields})
