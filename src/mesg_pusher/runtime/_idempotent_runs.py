"""Executions run at most once per idempotency key within the window, through the service's
store (the rules are ``_idempotency.py``'s).

`IdempotentRunner.execute` stands between an execution and the task runner. An execution
without a key runs as before (its inputs parsed once, here). One with a key first claims it in
the store: it runs and its output is remembered; or another execution holds the key and it
waits for that one's output; or it is answered from memory, publishing nothing. A store that
cannot be reached, or a memory of keys that is full, answers the execution with an ``error``
whose ``retry`` is ``safe``: nothing is published unguarded.

A claim is confirmed before the task runs; while it runs, its lease is renewed every few
seconds by one loop for all of them, so that a replica sees the claim held for as long as it
runs, and abandoned (answered, not run again) once its service is gone. A claim never confirmed
(its writing got no answer) published nothing, and is taken over after a moment. An execution
stopped by the grace period leaves `stopped_while_running` as its key's output: it may have
published.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Final, Protocol

from .._json import loads
from ..tasks import TaskOutput
from ._error_outputs import keys_full, stopped_while_running, store_unavailable
from ._idempotency import (
    KEYS,
    LEASE_MS,
    RENEW_SECONDS,
    begin,
    finish,
    key_name,
    release,
    renew,
    start,
)
from ._store import Store, StoreFull, StoreUnavailable

log = logging.getLogger("mesg_pusher.runtime")

#: An execution's app and key, or None: `(task_key, inputs) -> (app_id, key) | None`.
Scope = Callable[[str, Mapping[str, Any]], "tuple[str, str] | None"]
#: How long a waiter waits before looking again at a claim another execution holds: doubling
#: from the first to the last.
FIRST_LOOK: Final = 0.05
LAST_LOOK: Final = 1.0


class Runner(Protocol):
    """What runs an execution (`TaskRunner`): exactly one output, never raising."""

    async def execute(self, task_key: str, input_data: str | Mapping[str, Any]) -> TaskOutput: ...


class Attempt:
    """What became of one execution: whether the task was started (it may have published)."""

    __slots__ = ("replayed", "started")

    def __init__(self) -> None:
        self.started = False
        self.replayed = False  # answered from the key's memory


class IdempotentRunner:
    """Runs executions through `runner`, at most once per key (by `scope`) in `store` within
    `window_ms`. `wall_ms` gives the wall clock in milliseconds (leases and windows count by
    it)."""

    def __init__(
        self,
        runner: Runner,
        store: Store,
        *,
        scope: Scope,
        window_ms: float,
        wall_ms: Callable[[], float],
        lease_ms: float = LEASE_MS,
        renew_every: float = RENEW_SECONDS,
    ) -> None:
        self._runner = runner
        self._store = store
        self._window_ms = window_ms
        self._wall_ms = wall_ms
        self._scope = scope
        self._lease_ms = lease_ms
        self._renew_every = renew_every
        self._instance = secrets.token_hex(8)
        self._claims = 0
        self._held: dict[bytes, str] = {}  # key name -> owner, claims running here
        self._renewer: asyncio.Task[None] | None = None

    async def execute(
        self, task_key: str, input_data: str | Mapping[str, Any], attempt: Attempt
    ) -> TaskOutput:
        """The execution's one output (see the module's docstring). `input_data` is JSON text,
        or the inputs already read (the engines that send a Struct)."""
        inputs: Any = input_data
        if isinstance(input_data, str):
            try:
                inputs = loads(input_data)
            except ValueError:
                inputs = None
        if not isinstance(inputs, Mapping):  # the runner answers with the rule it breaks
            attempt.started = True
            return await self._runner.execute(task_key, input_data)
        scope = self._scope(task_key, inputs)
        if scope is None:
            attempt.started = True
            return await self._runner.execute(task_key, inputs)
        name = key_name(*scope)
        self._claims += 1
        owner = f"{self._instance}:{self._claims}"
        try:
            answer = await self._claim(name, owner)
        except StoreUnavailable as error:
            await self._let_go(name, owner)
            return store_unavailable(str(error))
        except StoreFull as error:
            return keys_full(str(error))
        if answer is not None:
            attempt.replayed = True
            return answer
        attempt.started = True
        self._held[name] = owner
        self._renewing()
        try:
            output = await self._runner.execute(task_key, inputs)
        except asyncio.CancelledError:
            await self._finish(name, owner, stopped_while_running(publishes=True))
            raise
        finally:
            self._held.pop(name, None)
        await self._finish(name, owner, output)
        return output

    async def _claim(self, name: bytes, owner: str) -> TaskOutput | None:
        """Claim the key and confirm the claim: None once it is this execution's to run, else
        the output to answer."""
        look = FIRST_LOOK
        # In the process a write is never left unanswered: a claim is started as it is made.
        started = None if self._store.shared else self._lease_ms
        while True:
            claim = partial(
                begin,
                owner=owner,
                now_ms=self._wall_ms(),
                window_ms=self._window_ms,
                started_lease_ms=started,
            )
            begun = await self._store.change(KEYS, name, claim)
            if begun.kind == "answer":
                return begun.output
            if begun.kind == "run" and started is not None:
                return None
            if begun.kind == "run":
                confirm = partial(
                    start,
                    owner=owner,
                    now_ms=self._wall_ms(),
                    lease_ms=self._lease_ms,
                    window_ms=self._window_ms,
                )
                if await self._store.change(KEYS, name, confirm):
                    return None
                continue  # taken over before it was confirmed: wait for that one instead
            await self._store.changed(KEYS, name, look)
            look = min(LAST_LOOK, look * 2)

    async def _let_go(self, name: bytes, owner: str) -> None:
        """After a failed claim: the claim may have been written and its answer lost; nothing
        was run, so let it go if it is this execution's (if the store lets us)."""
        with contextlib.suppress(StoreUnavailable, StoreFull):
            await self._store.change(KEYS, name, partial(release, owner=owner))

    async def _finish(self, name: bytes, owner: str, output: TaskOutput) -> None:
        step = partial(
            finish, owner=owner, output=output, now_ms=self._wall_ms(), window_ms=self._window_ms
        )
        try:
            if not await self._store.change(KEYS, name, step):
                log.warning(
                    "an idempotencyKey's claim was taken over while its execution ran (its "
                    "lease was not renewed in time); its output is not remembered"
                )
        except (StoreUnavailable, StoreFull) as error:
            log.warning(
                "an idempotencyKey's output could not be remembered (%s); executions with that "
                "key are answered as abandoned once its lease runs out, and never run again "
                "within the window",
                error,
            )

    def _renewing(self) -> None:
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.get_running_loop().create_task(self._renew_forever())

    async def _renew_forever(self) -> None:
        """Renew the lease of every claim held here, every `renew_every` seconds, while any."""
        while self._held:
            await asyncio.sleep(self._renew_every)
            for name, owner in list(self._held.items()):
                step = partial(
                    renew,
                    owner=owner,
                    now_ms=self._wall_ms(),
                    lease_ms=self._lease_ms,
                    window_ms=self._window_ms,
                )
                try:
                    held = await self._store.change(KEYS, name, step)
                except (StoreUnavailable, StoreFull) as error:
                    log.warning("renewing an idempotencyKey's claim failed: %s", error)
                    continue
                if not held and self._held.get(name) == owner:
                    log.warning("an idempotencyKey's claim was taken over while its execution ran")
                    del self._held[name]

    async def close(self) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            await asyncio.gather(self._renewer, return_exceptions=True)
