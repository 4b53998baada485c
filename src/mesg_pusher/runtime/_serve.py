"""The service under the engine: listen for executions, run them, answer each exactly once.

`Service` composes the parts, each with one job:

- the engine's adapter (``_engines/``): the protocol of the engine's generation (G1 to G5, or
  asking the engine which it speaks), behind the `EngineApi` interface (``_engine_api.py``)
  the other parts use;
- `EngineLink` (``_engine_link.py``): the task stream read without ever waiting, and
  reconnection with backoff through the one retry loop (``_retry.py``);
- `Executions` (``_executions.py``): each `Execution` (``_execution.py``) from its arrival to
  its outcome: duplicates,
  admission (``_admission.py``), the task run by `TaskRunner` (which returns exactly one output,
  checked against mesg.yml, and never raises), the answer, the one boundary for defects, and
  the end of a stop;
- `Submitter` (``_submission.py``): an answer submitted until the engine takes it, the engine's
  refusals read in its own words (``_verdicts.py``);
- `Ledger` (``_ledger.py``): one outcome each (``_outcomes.py``), counted in `Stats`
  (``_stats.py``, the one store of counts the stop line and the metrics read), and one log line
  naming the execution by a label that never shows a secret (``_labels.py``);
- `WebhookReceiver` (``_receiver.py``): Pusher's webhooks of every app configured
  (``_webhook_apps.py``) verified, filtered, and their events emitted on through the engine's
  adapter (``_emitter.py``), served by the `Listener` (``_listener.py``); the presence members
  the tasks sign are remembered (`MemberMemory`) so their webhook events carry ``user_info``. A
  webhook never touches the task stream: whatever becomes of it, executions go on;
- `AdminListener` (``_admin.py``): ``/health`` and ``/metrics`` (``_health.py``, `Metrics` in
  ``_metrics.py``) on an address and an HTTP edge of their own, never the webhook port.
- the store (``_store.py``: in the process, or in Redis with ``--store``): idempotency keys
  (`IdempotentRunner`, ``_idempotent_runs.py``) and webhook bodies (`WebhookMemory`,
  ``_webhook_memory.py``), shared by the replicas that name the same Redis.

A stop fits the grace period, counted from the signal (``_stopping.py``): the link reads on until
the stream falls quiet, then executions finish and are answered until a final window, in which
those left are stopped or not started and answered with an ``error`` output saying which.
Webhooks arriving from the signal on are answered 503 (Pusher retries them), and the emissions
under way finish within the grace period too.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections.abc import Callable, Sequence
from typing import NoReturn

from .._version import __version__
from ..mesg import ServiceDefinition, load_packaged
from ..pusher import HttpPool, Transport
from ..tasks import ServiceEnvironment, TaskRunner
from ..webhooks import Credentials, Intake, MemberMemory, WebhookFilter
from ._admin import HEALTH_PATH, METRICS_PATH, AdminListener
from ._build_info import build_labels
from ._config import GRACE_BLOCKS, ConfigError, ServeConfig
from ._emitter import Emitter
from ._engine_link import EngineLink, ServiceFailed
from ._engines._adapter import adapter
from ._executions import Executions
from ._health import health
from ._idempotency import KEYS
from ._idempotent_runs import IdempotentRunner
from ._listener import WEBHOOKS_PATH, Listener
from ._metrics import Metrics
from ._receiver import WebhookReceiver
from ._stats import Stats
from ._stopping import stop_plan
from ._store import Store
from ._store_memory import MemoryStore
from ._submission import Submitter
from ._webhook_apps import webhook_apps
from ._webhook_memory import WebhookMemory

log = logging.getLogger("mesg_pusher.runtime")


def _wall_ms() -> float:
    return time.time() * 1000


def open_store(config: ServeConfig, wall_ms: Callable[[], float] = _wall_ms) -> Store:
    """The store `config` names: in the process, or in Redis."""
    address = config.redis
    if address is None:
        return MemoryStore(wall_ms=wall_ms)
    from ._store_redis import RedisStore  # noqa: PLC0415 - redis loads only when named

    return RedisStore(address, wall_ms=wall_ms)


class Service:
    """Serves the engine at `config.endpoint` until `run`'s stop event is set.

    `draw` gives the random numbers of the backoff jitter and `clock` monotonic seconds, so
    tests may pass their own. `environment` is the service's, read once (by default from
    ``os.environ``); `apps` are the Pusher apps whose webhooks are received (by default the one
    the environment configures). `stats` and `metrics` count what happened. `store` is where
    keys and bodies are remembered (by default the one `config.store` names); `wall_ms` gives
    the wall clock in milliseconds.
    """

    def __init__(
        self,
        config: ServeConfig,
        *,
        definition: ServiceDefinition | None = None,
        transport: Transport | None = None,
        environment: ServiceEnvironment | None = None,
        apps: Sequence[Credentials] | None = None,
        draw: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
        store: Store | None = None,
        wall_ms: Callable[[], float] = _wall_ms,
    ) -> None:
        self.config = config
        self.store = store if store is not None else open_store(config, wall_ms)
        self.definition = definition if definition is not None else load_packaged()
        self.stats = Stats(tasks=self.definition.tasks)
        self.metrics = Metrics(self.stats)
        self._clock = clock
        self._transport = transport if transport is not None else HttpPool()
        if environment is None:
            environment = ServiceEnvironment.read(os.environ)
        self.members = MemberMemory(config.max_member_info_bytes)
        self._runner = TaskRunner(
            self._transport,
            definition=self.definition,
            environment=environment,
            members=self.members,
        )
        self._api = adapter(config)
        self.metrics.build = lambda: build_labels(self._api)
        self._link = EngineLink(
            self._api, config, draw=draw, clock=clock, connected=self._connected
        )
        self._keyed = IdempotentRunner(
            self._runner,
            self.store,
            scope=self._runner.idempotency_scope,
            window_ms=config.idempotency_window * 1000,
            wall_ms=wall_ms,
        )
        self._executions = Executions(
            config,
            self.definition,
            self._runner,
            Submitter(self._api, config, draw, retried=self._retried),
            keyed=self._keyed,
            stats=self.stats,
            clock=clock,
        )
        self._apps_note: str | None = None  # what to warn of about the apps, at start
        if apps is None:
            apps, self._apps_note = webhook_apps(environment)
        elif not apps:
            self._apps_note = "no Pusher app for webhooks"
        chosen = WebhookFilter(frozenset(config.webhook_events), config.webhook_channels)
        self.receiver = WebhookReceiver(
            Intake(apps, events=self.definition.events, chosen=chosen, members=self.members),
            Emitter(
                self._api,
                config,
                stats=self.stats,
                link_up=self._link.listening.is_set,
                draw=draw,
                clock=clock,
            ),
            self.stats,
            memory=WebhookMemory(self.store, wall_ms=wall_ms),
            # Every app's, and whatever the environment holds that may be one.
            secrets=list(dict.fromkeys([*(app.secret for app in apps), *environment.secrets])),
            link_up=self._link.listening.is_set,
            clock=clock,
            wall_ms=wall_ms,
        )
        self.listener: Listener | None = None
        address = config.webhook_address
        if address is not None:
            self.listener = Listener(
                *address, self.receiver, metrics=self.metrics, stats=self.stats, clock=clock
            )
        self.admin: AdminListener | None = None
        admin_address = config.admin_address
        if admin_address is not None:
            self.admin = AdminListener(
                *admin_address, health=self._health, metrics=self.metrics, stats=self.stats
            )
        admission = self._executions.admission
        self.metrics.gauges += [
            (
                "executions_running",
                "Executions running now (at most max-in-flight).",
                lambda: float(admission.running),
            ),
            (
                "executions_waiting",
                "Executions waiting for a free slot (at most queue-size).",
                lambda: float(admission.waiting),
            ),
            (
                "executions_held_bytes",
                "Task data held by the running and waiting executions (at most max-held-bytes).",
                lambda: float(admission.held_bytes),
            ),
            (
                "member_info_bytes",
                "Bytes the memory of the presence members signed lately holds "
                "(at most max-member-info-bytes).",
                lambda: float(self.members.held_bytes),
            ),
            (
                "task_stream_open",
                "1 while the task stream with the engine is open, else 0.",
                lambda: float(self._link.listening.is_set()),
            ),
            (
                "webhooks_in_hand",
                "Webhooks whose events are being emitted.",
                lambda: float(self.receiver.in_hand),
            ),
            (
                "webhook_memory_bytes",
                "Bytes the memory of webhooks emitted lately holds at most (in the process).",
                lambda: float(self.receiver.memory.held_bytes),
            ),
            (
                "idempotency_memory_bytes",
                "Bytes the memory of idempotency keys holds at most (in the process).",
                lambda: float(self.store.held_bytes(KEYS)),
            ),
        ]

    def _connected(self) -> None:
        self.stats.connections += 1

    def _retried(self) -> None:
        self.stats.retried += 1

    def _health(self) -> tuple[int, dict[str, str]]:
        return health(stream_open=self._link.listening.is_set(), stopping=self.receiver.stopping)

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
                    "engine": config.choice.label,
                    "release": config.choice.release,
                    "endpoint": config.endpoint,
                    "max_in_flight": config.max_in_flight,
                    "queue_size": config.queue_size,
                    "max_held_bytes": config.max_held_bytes,
                    "grace_period_s": config.grace,
                    "webhook_listen": config.webhook_listen,
                    "admin_listen": config.admin_listen,
                    **_filters(config),
                    "log_level": config.log_level,
                    "store": config.redis.shown if config.redis else config.store,
                    "idempotency_window_s": config.idempotency_window,
                }
            },
        )
        self._warn_of_settings()
        await self._listen_for_admin()
        await self._listen_for_webhooks()
        problem = await self.store.check()
        if problem is not None:
            log.warning(
                "%s; executions with an idempotencyKey answer an error and webhooks 503 until "
                "it can",
                problem,
            )
        link = self._link
        listener = asyncio.create_task(link.listen_forever(self._executions.accept))
        stopper = asyncio.create_task(stop.wait())
        status = 0
        plan = stop_plan(config.grace, config.choice.block_seconds)
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
                    config.grace,
                )
                self.receiver.stop()  # new webhooks: 503 from now on
                await link.read_on(listener, began + plan.drain_until)
        finally:
            began = self._clock() if began is None else began
            link.closing = True
            self.receiver.stop()
            stopper.cancel()
            listener.cancel()
            await asyncio.gather(listener, stopper, return_exceptions=True)
            link.listening.clear()
            await asyncio.gather(
                self._executions.finish(began, plan),
                self.receiver.finish(began + plan.exit_at),
            )
            if self.listener is not None:
                await self.listener.close()
            if self.admin is not None:
                await self.admin.close()
            await self._keyed.close()
            await self.store.close()
            await self._api.close()
            await self._transport.close()
        stats = self.stats
        log.info("stopped", extra={"fields": stats.totals()})
        return 1 if status or stats.unsent else 0

    def _warn_of_settings(self) -> None:
        """Settings that will let the service down on the engine chosen, said at start."""
        config = self.config
        variants = config.choice.candidates
        only_v017 = all(r.credentials_on_update for v in variants for r in v.releases)
        if only_v017 and not (config.credential_username and config.credential_passphrase):
            log.warning(
                "engine v0.17.0 refuses every result without an account's credentials: set "
                "MESG_PUSHER_CREDENTIAL_USERNAME and MESG_PUSHER_CREDENTIAL_PASSPHRASE"
            )
        block = config.choice.block_seconds
        if block is not None and config.grace < GRACE_BLOCKS * block:
            log.warning(
                "the grace period (%g s) is shorter than %d of the engine's blocks (%g s each): "
                "results under way at a stop may not be taken",
                config.grace,
                GRACE_BLOCKS,
                block,
            )

    async def _listen_for_admin(self) -> None:
        """Open the admin address (before the task stream, so that health says down until it
        is open); ConfigError when it cannot be taken."""
        admin = self.admin
        if admin is None:
            log.info("not serving /health and /metrics (admin-listen is off)")
            return
        try:
            await admin.start()
        except OSError as error:
            await self._cannot_listen("admin-listen", self.config.admin_listen, error)
        fields = {"health": admin.url + HEALTH_PATH, "metrics": admin.url + METRICS_PATH}
        log.info("serving health and metrics", extra={"fields": fields})

    async def _listen_for_webhooks(self) -> None:
        """Open the webhook listener; ConfigError when its address cannot be taken."""
        listener = self.listener
        if listener is None:
            log.info("not listening for webhooks (webhook-listen is off)")
            return
        try:
            await listener.start()
        except OSError as error:
            if self.admin is not None:
                await self.admin.close()
            await self._cannot_listen("webhook-listen", self.config.webhook_listen, error)
        apps = self.receiver.intake.apps
        fields = {
            "webhooks": listener.url + WEBHOOKS_PATH,
            "app_key": ",".join(dict.fromkeys(app.key for app in apps)),
            "max_connections": listener.server.max_connections,
        }
        log.info("listening for webhooks", extra={"fields": fields})
        if self._apps_note is not None and not apps:
            log.warning("%s; every webhook is answered 503 until then", self._apps_note)
        elif self._apps_note is not None:
            log.warning("%s", self._apps_note)

    async def _cannot_listen(self, option: str, address: str, error: OSError) -> NoReturn:
        await self._transport.close()
        await self.store.close()
        reason = error.strerror or str(error)
        raise ConfigError(f"{option}: cannot listen on {address}: {reason}") from None


def _filters(config: ServeConfig) -> dict[str, str]:
    """The webhook filters set, as the start line shows them."""
    shown = {}
    if config.webhook_events:
        shown["webhook_events"] = ",".join(config.webhook_events)
    if config.webhook_channels:
        shown["webhook_channels"] = ",".join(config.webhook_channels)
    return shown
