"""What ``serve`` counts, written out for an operator in Prometheus's text format
(``GET /metrics``).

The counts themselves are kept in `Stats` (``_stats.py``); prometheus-client only writes them
out when the endpoint is read (0.25 ms), through a collector, with the process's own figures
(CPU, memory, open files), the gauges beside them and the build (``mesg_pusher_build_info``:
the version and the generation of the engine's protocol spoken, ``_build_info.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
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

from ._build_info import build_labels
from ._stats import DURATION_BUCKETS, UNDECLARED, Stats

CONTENT_TYPE: Final = CONTENT_TYPE_LATEST
PREFIX: Final = "mesg_pusher_"
_BOUNDS: Final = (*(repr(bound) for bound in DURATION_BUCKETS), "+Inf")


class Metrics:
    """The metrics of `stats`, with `gauges`, (name, help, reader), and the `build`'s labels,
    read when rendering."""

    def __init__(self, stats: Stats) -> None:
        self._stats = stats
        self.gauges: list[tuple[str, str, Callable[[], float]]] = []
        self.build: Callable[[], Mapping[str, str]] = lambda: build_labels(None)
        self._registry = CollectorRegistry(auto_describe=False)
        self._registry.register(_Collector(self))
        self._registry.register(ProcessCollector(registry=None))
        self._registry.register(PlatformCollector(registry=None))

    def render(self) -> bytes:
        """Every metric in Prometheus's text format (`CONTENT_TYPE`)."""
        return generate_latest(self._registry)

    def families(self) -> Iterator[Metric]:
        """This service's metric families, as the collector gives them."""
        stats = self._stats
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
        for name, task in stats.by_task.items():
            for outcome, count in sorted(task.outcomes.items()):
                executions.add_metric([name, outcome], count)
            if task.outcomes or name != UNDECLARED:
                durations.add_metric([name], _cumulative(task.buckets), sum_value=task.seconds)
        yield executions
        yield durations
        yield _counter("results_retried", "SubmitResult attempts made again.", stats.retried)
        yield _counter(
            "executions_replayed",
            "Executions answered with the remembered output of their idempotencyKey.",
            stats.replayed,
        )
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
        for (outcome, status), count in sorted(stats.webhooks.items()):
            webhooks.add_metric([outcome, str(status)], count)
        yield webhooks
        yield HistogramMetricFamily(
            PREFIX + "webhook_duration_seconds",
            "Seconds from a webhook's arrival to its answer.",
            buckets=_cumulative(stats.webhook_buckets),
            sum_value=stats.webhook_seconds,
        )
        for name, help_text, counts in (
            (
                "events_emitted",
                "Events the engine accepted (EmitEvent), by event.",
                stats.events_emitted,
            ),
            ("events_refused", "Events the engine refused, by event.", stats.events_refused),
            (
                "events_unconfirmed",
                "Events sent twice without the engine's answer either time, and not sent "
                "again, by event.",
                stats.events_unconfirmed,
            ),
            (
                "events_filtered",
                "Events of webhooks left out by the filters (MESG_PUSHER_WEBHOOK_EVENTS and "
                "MESG_PUSHER_WEBHOOK_CHANNELS), by event: never emitted.",
                stats.events_filtered,
            ),
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
        for reason, count in sorted(stats.listener_refusals.items()):
            listener.add_metric([reason], count)
        yield listener
        admin = CounterMetricFamily(
            PREFIX + "admin_refused",
            "Requests and connections the admin address (/health, /metrics) refused or closed "
            "on its own, by reason (as listener_refused).",
            labels=["reason"],
        )
        for reason, count in sorted(stats.admin_refusals.items()):
            admin.add_metric([reason], count)
        yield admin
        for name, help_text, read in self.gauges:
            yield GaugeMetricFamily(PREFIX + name, help_text, value=read())
        build = dict(self.build())
        info = GaugeMetricFamily(
            PREFIX + "build_info",
            "The build serving: its version and the generation of the MESG engine's protocol "
            "it speaks (unknown until it is known); always 1.",
            labels=sorted(build),
        )
        info.add_metric([build[label] for label in sorted(build)], 1)
        yield info


def _counter(name: str, help_text: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(PREFIX + name, help_text, value=value)


def _cumulative(counts: list[int]) -> list[tuple[str, float]]:
    """Histogram buckets from the counts of each (`DURATION_BUCKETS`' and the last)."""
    total = 0
    buckets: list[tuple[str, float]] = []
    for bound, count in zip(_BOUNDS, counts, strict=True):
        total += count
        buckets.append((bound, total))
    return buckets


class _Collector:
    """prometheus-client's view of `Metrics`: read only when rendering."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        return self._metrics.families()

    def describe(self) -> list[Metric]:
        return []  # the names are known only when collecting: nothing to check up front
