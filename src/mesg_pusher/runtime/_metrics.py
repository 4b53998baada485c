"""What ``serve`` counts for an operator, served as Prometheus's text format (``GET /metrics``).

Counting sits on the hot path of every execution and every webhook, so it is plain arithmetic on
this module's own counters: a dictionary entry, and a duration bucket found by bisection (0.16 µs
an execution measured with timeit, where prometheus-client's own labelled counter and histogram
take 2.4 µs). prometheus-client only writes them out when the endpoint is read (0.25 ms),
through a collector, with the process's own figures (CPU, memory, open files) beside them.

Labels stay bounded whatever the engine or a sender sends: a task is named by its key when
mesg.yml declares it (`UNDECLARED` otherwise), an event by its declared key (the receiver refuses
any other), a webhook by its outcome and status.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from typing import Final

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from ._ledger import Stats
from ._outcomes import Outcome

CONTENT_TYPE: Final = CONTENT_TYPE_LATEST
PREFIX: Final = "mesg_pusher_"
#: Upper bounds of the execution duration buckets, in seconds (from arrival to outcome).
DURATION_BUCKETS: Final = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
)
#: The task label of an execution whose task key mesg.yml does not declare.
UNDECLARED: Final = "(undeclared)"
_DUPLICATE: Final = Outcome.DUPLICATE.value
_BOUNDS: Final = (*(repr(bound) for bound in DURATION_BUCKETS), "+Inf")


class _Task:
    """One task's executions: outcomes, and the durations of those run."""

    __slots__ = ("buckets", "outcomes", "seconds")

    def __init__(self) -> None:
        self.outcomes: dict[str, int] = {}
        self.buckets = [0] * (len(DURATION_BUCKETS) + 1)  # the last one: above every bound
        self.seconds = 0.0


class Metrics:
    """Counters of executions, results, connections, webhooks and events; `render` writes them.

    `tasks` are the declared task keys; `stats` the service's counts (results retried and
    dropped, connections). `gauges`, (name, help, reader), are read when rendering.
    """

    def __init__(self, tasks: Iterable[str], stats: Stats) -> None:
        self._stats = stats
        self._tasks = {task: _Task() for task in tasks}
        self._undeclared = _Task()
        self.webhooks: dict[tuple[str, int], int] = {}
        self.emitted: dict[str, int] = {}
        self.refused: dict[str, int] = {}
        self.listener: dict[str, int] = {}
        self.gauges: list[tuple[str, str, Callable[[], float]]] = []
        self._registry = CollectorRegistry(auto_describe=False)
        self._registry.register(_Collector(self))
        self._registry.register(ProcessCollector(registry=None))
        self._registry.register(PlatformCollector(registry=None))

    # Counting (the hot path) -------------------------------------------------------------------

    def execution(self, task_key: str, outcome: str, seconds: float) -> None:
        """An execution of `task_key` ended in `outcome` (`Outcome.value`) `seconds` after it
        arrived; a duplicate delivery is counted, not timed."""
        task = self._tasks.get(task_key, self._undeclared)
        outcomes = task.outcomes
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcome != _DUPLICATE:
            task.buckets[bisect_left(DURATION_BUCKETS, seconds)] += 1
            task.seconds += seconds

    def webhook(self, outcome: str, status: int) -> None:
        key = (outcome, status)
        self.webhooks[key] = self.webhooks.get(key, 0) + 1

    def event_emitted(self, event_key: str) -> None:
        self.emitted[event_key] = self.emitted.get(event_key, 0) + 1

    def event_refused(self, event_key: str) -> None:
        self.refused[event_key] = self.refused.get(event_key, 0) + 1

    def listener_refused(self, reason: str) -> None:
        """The listener refused or closed a request or connection on its own, for `reason`
        (one of a few words of ``_http_rules.py`` and ``_http_server.py``)."""
        self.listener[reason] = self.listener.get(reason, 0) + 1

    # Reading ---------------------------------------------------------------------------------

    def executions(self, task: str | None = None) -> int:
        """Executions counted (of `task`, or of every task), for tests and summaries."""
        tasks = [self._task(task)] if task is not None else self._all_tasks()
        return sum(sum(t.outcomes.values()) for t in tasks)

    def _task(self, task: str) -> _Task:
        return self._undeclared if task == UNDECLARED else self._tasks[task]

    def _all_tasks(self) -> list[_Task]:
        return [*self._tasks.values(), self._undeclared]

    def render(self) -> bytes:
        """Every metric in Prometheus's text format (`CONTENT_TYPE`)."""
        return generate_latest(self._registry)

    def families(self) -> Iterator[Metric]:
        """This service's metric families, as the collector gives them."""
        executions = CounterMetricFamily(
            PREFIX + "executions",
            "Executions by task and outcome (success, error, overloaded, stopped, dropped, "
            "refused, unsent, duplicate).",
            labels=["task", "outcome"],
        )
        durations = HistogramMetricFamily(
            PREFIX + "execution_duration_seconds",
            "Seconds from an execution's arrival to its outcome.",
            labels=["task"],
        )
        named = [*self._tasks.items(), (UNDECLARED, self._undeclared)]
        for name, task in named:
            for outcome, count in sorted(task.outcomes.items()):
                executions.add_metric([name, outcome], count)
            if task.outcomes or name != UNDECLARED:
                cumulative = 0
                buckets: list[tuple[str, float]] = []
                for bound, count in zip(_BOUNDS, task.buckets, strict=True):
                    cumulative += count
                    buckets.append((bound, cumulative))
                durations.add_metric([name], buckets, sum_value=task.seconds)
        yield executions
        yield durations
        stats = self._stats
        yield _counter("results_retried", "SubmitResult attempts made again.", stats.retried)
        yield _counter(
            "results_dropped",
            "Results dropped: the engine no longer had the execution in progress.",
            stats.dropped,
        )
        yield _counter(
            "engine_connections", "Task streams opened with the engine.", stats.connections
        )
        yield _counter(
            "engine_reconnections",
            "Task streams opened again after the first.",
            max(0, stats.connections - 1),
        )
        webhooks = CounterMetricFamily(
            PREFIX + "webhooks",
            "Webhooks received, by outcome and the HTTP status answered.",
            labels=["outcome", "status"],
        )
        for (outcome, status), count in sorted(self.webhooks.items()):
            webhooks.add_metric([outcome, str(status)], count)
        yield webhooks
        for name, help_text, counts in (
            ("events_emitted", "Events the engine accepted (EmitEvent), by event.", self.emitted),
            ("events_refused", "Events the engine refused, by event.", self.refused),
        ):
            family = CounterMetricFamily(PREFIX + name, help_text, labels=["event"])
            for event, count in sorted(counts.items()):
                family.add_metric([event], count)
            yield family
        listener = CounterMetricFamily(
            PREFIX + "listener_refused",
            "Requests and connections the listener refused or closed on its own, by reason "
            "(malformed, head_too_large, length_required, version, head_timeout, cut, "
            "accept_error, at_capacity).",
            labels=["reason"],
        )
        for reason, count in sorted(self.listener.items()):
            listener.add_metric([reason], count)
        yield listener
        for name, help_text, read in self.gauges:
            yield GaugeMetricFamily(PREFIX + name, help_text, value=read())


def _counter(name: str, help_text: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(PREFIX + name, help_text, value=value)


class _Collector:
    """prometheus-client's view of `Metrics`: read only when rendering."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        return self._metrics.families()

    def describe(self) -> list[Metric]:
        return []  # the names are known only when collecting: nothing to check up front
