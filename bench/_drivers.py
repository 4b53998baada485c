"""What makes executions for a service measurement, and hears their results: two drivers.

- `Application`: an application beside ``mesg-pusher engine`` (its own process), sending
  ``ExecuteTask`` and reading ``ListenResult`` over gRPC, as a MESG application does. Every
  execution then costs the stand-in two gRPC calls more and this process two of its own, so on
  2 cores it bounds the rate before the service does: it serves the fixed-rate cases, whose
  latency runs from ``ExecuteTask`` to ``ListenResult`` as an application sees it.
- `Origin`: the engine stand-in itself (the same `Engine` and `EngineServer` that
  ``mesg-pusher engine`` runs), served from this process, which makes the executions and reads
  their results without any gRPC of its own. Only the service's ``ListenTask`` and
  ``SubmitResult`` cross a socket, so the stand-in outruns the service: it serves the
  saturation cases. Its inputs are validated once, by a first execution made as
  ``ExecuteTask`` makes it; the rest are handed over with the same text, unvalidated (checking
  the same inputs again is no work of the service's). It logs nothing per execution.

Both keep `sent` (when each execution was asked for) and `arrived` (when its result came, and
its output key), and report the stand-in's CPU seconds so far (`standin_cpu`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final

from grpc import aio

from mesg_pusher.engine import Engine, EngineServer, Stream, messages
from mesg_pusher.mesg import release
from mesg_pusher.mesg.protocol.core_pb2 import ExecuteTaskRequest, ListenResultRequest, ResultData
from mesg_pusher.mesg.protocol.core_pb2_grpc import CoreStub

from . import _proc, _processes, _worker

TASK: Final = "trigger"
PROBE_TRIES: Final = 100
#: The longest wait for the in-process stand-in's first result (a bound, not a margin).
PROBE_SECONDS: Final = 20.0
#: How long the in-process stand-in waits for the service to open its task stream.
LISTENER_SECONDS: Final = 20.0

#: The app's encryption master key in the encrypted cases: 32 bytes, in base64.
MASTER_KEY: Final = base64.b64encode(bytes(range(32))).decode("ascii")
_DATA: Final = {"message": "hello", "count": 1}
_USER: Final = {"user_id": "bench-user", "user_info": {"name": "Ada"}}
#: Events in the batch case (Pusher's most for one call).
BATCH_EVENTS: Final = 10


#: The idempotencyKey of the keyed form, made new for each execution (`Origin.execute`); its
#: reference form carries the same text in an input serve ignores, so that the stand-in's work
#: and serve's parsing are the same for both and only the idempotency check differs.
KEY_MARK: Final = "bench-idempotency-key"


@dataclass(frozen=True)
class Inputs:
    """One measured form of a task: its key, its own inputs, and whether it calls Pusher (then
    it also gets the connection inputs: the app, the endpoint, keep-alive, the timeout)."""

    task: str
    own: Mapping[str, Any]
    network: bool = True


#: Every form measured, by name (``--inputs``); "trigger" is the one all others are beside.
CASES: Final = {
    "trigger": Inputs(TASK, {"channel": "bench-channel", "name": "bench-event", "data": _DATA}),
    "trigger-keyed": Inputs(
        TASK,
        {
            "channel": "bench-channel",
            "name": "bench-event",
            "data": _DATA,
            "idempotencyKey": KEY_MARK,
        },
    ),
    "trigger-unique": Inputs(
        TASK,
        {"channel": "bench-channel", "name": "bench-event", "data": _DATA, "benchTag": KEY_MARK},
    ),
    "trigger-encrypted": Inputs(
        TASK,
        {
            "channel": "private-encrypted-bench",
            "name": "bench-event",
            "data": _DATA,
            "encryptionMasterKey": MASTER_KEY,
        },
    ),
    "triggerBatch": Inputs(
        "triggerBatch",
        {
            "batch": [
                {"channel": f"bench-channel-{n}", "name": "bench-event", "data": _DATA}
                for n in range(BATCH_EVENTS)
            ]
        },
    ),
    "channels": Inputs("channels", {"filter_by_prefix": "presence-", "info": "user_count"}),
    "channel": Inputs("channel", {"channel": "presence-bench", "info": "user_count"}),
    "users": Inputs("users", {"channel": "presence-bench"}),
    "sendToUser": Inputs(
        "sendToUser", {"userId": "bench-user", "name": "bench-event", "data": _DATA}
    ),
    "terminateUserConnections": Inputs("terminateUserConnections", {"userId": "bench-user"}),
    "authorizeChannel": Inputs(
        "authorizeChannel",
        {"socket_id": "1234.5678", "channel": "presence-bench", "channel_data": _USER},
        network=False,
    ),
    "authenticateUser": Inputs(
        "authenticateUser",
        {"socket_id": "1234.5678", "user_data": {"id": "bench-user", "name": "Ada"}},
        network=False,
    ),
}


def inputs(
    host: str, port: int, app: tuple[str, str, str], case: str = TASK, *, tls: bool = False
) -> str:
    """The inputs' JSON text of `case` (one of `CASES`), calling the Pusher endpoint at
    `host`:`port` as `app` (its id, key and secret), over TLS if `tls`."""
    app_id, key, secret = app
    form = CASES[case]
    if not form.network:
        return json.dumps({"key": key, "secret": secret, **form.own})
    connection = {
        "appId": app_id,
        "key": key,
        "secret": secret,
        "host": host,
        "port": port,
        "keepAlive": True,
        "timeout": 10_000,
    }
    if tls:
        connection["encrypted"] = True
    return json.dumps({**connection, **form.own})


class _Arrivals:
    """Results as they arrive, and the executions waited on."""

    def __init__(self) -> None:
        self.sent: dict[str, float] = {}
        self.arrived: dict[str, tuple[float, str]] = {}
        self._waiters: dict[str, asyncio.Future[None]] = {}

    def _arrive(self, execution: str, output_key: str) -> None:
        self.arrived[execution] = (time.perf_counter(), output_key)
        waiter = self._waiters.pop(execution, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def result(self, execution: str, within: float) -> bool:
        """Whether `execution`'s result arrives within `within` seconds."""
        if execution in self.arrived:
            return True
        waiter = asyncio.get_running_loop().create_future()
        self._waiters[execution] = waiter
        try:
            await asyncio.wait_for(waiter, within)
        except TimeoutError:
            self._waiters.pop(execution, None)
            return False
        return True


class Application(_Arrivals):
    """The engine's client side, at ``mesg-pusher engine`` (`engine`): sends executions and
    timestamps their results."""

    def __init__(self, engine: _processes.Engine, input_data: str, task: str = TASK) -> None:
        super().__init__()
        self._engine = engine
        self._channel = aio.insecure_channel(engine.endpoint)
        self._stub = CoreStub(self._channel)
        self._request = ExecuteTaskRequest(
            serviceID=engine.token, taskKey=task, inputData=input_data
        )
        self._reader: asyncio.Task[None] | None = None

    def standin_cpu(self) -> float:
        return _proc.cpu_seconds(self._engine.pid)

    async def start(self) -> None:
        call = self._stub.ListenResult(ListenResultRequest(serviceID=self._engine.token))
        with contextlib.suppress(aio.AioRpcError):
            await asyncio.wait_for(call.initial_metadata(), 5)
        self._reader = asyncio.create_task(self._read(call))

    async def _read(self, call: Any) -> None:
        async for result in call:
            self._arrive(result.executionID, result.outputKey)

    async def execute(self) -> str:
        started = time.perf_counter()
        reply = await self._stub.ExecuteTask(self._request, timeout=10)
        self.sent[reply.executionID] = started
        return str(reply.executionID)

    async def probe(self) -> None:
        """Until one execution comes back: the stand-in drops those made before the service
        subscribed, so readiness is proven by a result."""
        for _ in range(PROBE_TRIES):
            if await self.result(await self.execute(), 0.2):
                return
        raise RuntimeError("no execution came back: the service never took tasks")

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, aio.AioRpcError):
                await self._reader
        await self._channel.close(None)


class Origin(_Arrivals):
    """The engine stand-in on a free port of 127.0.0.1, in this process, originating executions
    of `task` with `input_data`. Use ``async with``; `at` is where a service finds it."""

    def __init__(self, input_data: str, task: str = TASK, engine: str = "") -> None:
        super().__init__()
        self._task = task
        # The first generation (v0.2) unless a later release is named.
        self.later = release(engine) if engine else None
        self.engine = Engine() if self.later is None else Engine(release=self.later)
        self._server = EngineServer(self.engine)
        self._inputs = input_data
        self._values = json.loads(input_data)
        # What the stand-in hands over for these inputs once validated (Go's re-encoding).
        self._handed = messages.go_json(messages.decode_object(input_data))
        # A keyed form gets a key of its own each time (the same key would publish once), and
        # its reference the same text.
        marked = json.dumps(KEY_MARK)
        self._keyed = self._handed.split(marked) if marked in self._handed else None
        self._made = 0
        self._reader: asyncio.Task[None] | None = None

    @property
    def at(self) -> _processes.Engine:
        env = self._server.environment() if self.later is not None else None
        return _processes.Engine(self._server.address, self.engine.token, os.getpid(), env)

    def standin_cpu(self) -> float:
        """This process's CPU: the stand-in, and the making and reading of executions."""
        return _worker.cpu_seconds()

    async def __aenter__(self) -> Origin:
        await self._server.start()
        if self.later is None:
            results = self.engine.listen_results(self.engine.token)
            self._reader = asyncio.create_task(self._read(results))
        else:
            answered = self.engine.subscribe(
                "results", self.engine.token, lambda item: item.result is not None
            )
            self._reader = asyncio.create_task(self._read_later(answered))
        return self

    async def _read(self, results: Stream[ResultData]) -> None:
        while True:
            result = await results.get()
            self._arrive(result.executionID, result.outputKey)

    async def _read_later(self, results: Stream[Any]) -> None:
        while True:
            item = await results.get()
            self._arrive(item.execution.id, "error" if item.result.error else "success")

    async def start(self) -> None:
        """Once the service has opened its task stream (executions made before are dropped)."""
        engine = self.engine
        try:
            async with asyncio.timeout(LISTENER_SECONDS):
                await engine.wait_until(lambda: engine.task_listeners() > 0)
        except TimeoutError:
            raise RuntimeError("the service never opened its task stream") from None

    async def execute(self) -> str:
        started = time.perf_counter()
        engine = self.engine
        handed = self._handed
        values = self._values
        if self._keyed is not None:
            self._made += 1
            handed = f'"{KEY_MARK}-{self._made}"'.join(self._keyed)
            values = json.loads(handed)
        if self.later is None:
            execution = await engine.deliver(engine.token, self._task, handed)
        else:
            made = await engine.create(engine.service(), self._task, values)
            execution = made.id
        self.sent[execution] = started
        return execution

    async def probe(self) -> None:
        """One execution validated as ``ExecuteTask`` would, and its result."""
        started = time.perf_counter()
        execution = await self.engine.execute(self.engine.token, self._task, self._inputs)
        self.sent[execution] = started
        if not await self.result(execution, PROBE_SECONDS):
            raise RuntimeError("no execution came back: the service never took tasks")

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.close()
        await self._server.stop(grace=0.5)
