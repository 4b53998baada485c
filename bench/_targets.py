"""The issue's targets as pure checks over the medians of a run."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass

from . import _client_cases as cc
from . import _service_cases as sc
from ._stats import ratio

Medians = Mapping[str, Mapping[str, float]]


@dataclass(frozen=True)
class Target:
    name: str
    measured: float | None
    limit: float
    unit: str
    at_least: bool  # True: measured >= limit passes; False: measured <= limit passes

    @property
    def met(self) -> bool | None:
        if self.measured is None or math.isnan(self.measured):
            return None
        return self.measured >= self.limit if self.at_least else self.measured <= self.limit


def _figure(medians: Medians, key: str, name: str) -> float | None:
    value = medians.get(key, {}).get(name)
    return None if value is None or math.isnan(value) else value


def client(medians: Medians) -> list[Target]:
    ours = _figure(medians, cc.OURS_64_KA, "rate")
    sdk = [_figure(medians, k, "rate") for k in (cc.SDK_PY_SEQ, cc.SDK_PY_THREADS)]
    sdk_best = max((s for s in sdk if s is not None), default=None)
    tls_cpu = _figure(medians, cc.tls(cc.OURS_64_KA), "cpu_ms")
    sdk_tls = [_figure(medians, cc.tls(k), "cpu_ms") for k in (cc.SDK_PY_SEQ, cc.SDK_PY_THREADS)]
    sdk_tls_cheapest = min((s for s in sdk_tls if s is not None), default=None)
    return [
        Target("client triggers/s vs official Python SDK (best of sequential, threaded)",
               ratio(ours, sdk_best), 5.0, "x", at_least=True),
        Target("client triggers/s vs official Node SDK",
               ratio(ours, _figure(medians, cc.SDK_NODE, "rate")), 1.0, "x", at_least=True),
        Target("client CPU per trigger (64 in flight, keep-alive)",
               _figure(medians, cc.OURS_64_KA, "cpu_ms"), 0.35, "ms", at_least=False),
        Target("client CPU per trigger over TLS vs the official Python SDK's over TLS (ours 64 "
               "in flight, keep-alive; the SDK's cheapest case)",
               ratio(tls_cpu, sdk_tls_cheapest), 0.1, "x", at_least=False),
        Target("client CPU per trigger over TLS vs the official Node SDK's over TLS (both 64 "
               "in flight, keep-alive)",
               ratio(tls_cpu, _figure(medians, cc.tls(cc.SDK_NODE), "cpu_ms")), 0.5, "x",
               at_least=False),
        Target("client CPU per trigger over TLS vs our own over plain HTTP (64 in flight, "
               "keep-alive)",
               ratio(tls_cpu, _figure(medians, cc.OURS_64_KA, "cpu_ms")), 1.3, "x",
               at_least=False),
    ]  # fmt: skip


def unsuccessful(count: float, what: str) -> Target:
    """None of `what` (operations without a success answer, counted over every round)."""
    return Target(what, count, 0, "", at_least=False)


def service(medians: Medians) -> list[Target]:
    def added(name: str) -> float | None:
        serve = _figure(medians, sc.SERVE_RATE, name)
        ceiling = _figure(medians, sc.CEILING_RATE, name)
        return None if serve is None or ceiling is None else serve - ceiling

    return [
        Target("service CPU per execution at saturation (serve -> nginx)",
               _figure(medians, sc.SERVE_SAT, "cpu_ms"), 0.9, "ms", at_least=False),
        Target("serve's CPU overhead over the null service at saturation (same run)",
               _figure(medians, sc.OVERHEAD_SAT, "cpu_ms"), 0.2, "ms", at_least=False),
        Target(f"added latency p50 at {sc.RATE}/s (serve minus the stand-in's ceiling)",
               added("p50_ms"), 1.0, "ms", at_least=False),
        Target(f"added latency p99 at {sc.RATE}/s (serve minus the stand-in's ceiling)",
               added("p99_ms"), 5.0, "ms", at_least=False),
        Target("serve's CPU per execution over TLS vs over plain HTTP (serve -> nginx, "
               "saturation)",
               ratio(_figure(medians, sc.SERVE_TLS_SAT, "cpu_ms"),
                     _figure(medians, sc.SERVE_SAT, "cpu_ms")), 1.1, "x", at_least=False),
    ]  # fmt: skip


def footprint(medians: Medians, ready: list[float]) -> list[Target]:
    """`ready`: seconds from start to ready of every serve started in the run."""
    starts = f"serve start to ready (listening), median of {len(ready)} starts"
    return [
        Target(f"serve peak RSS with {sc.FOOTPRINT_IN_FLIGHT:,} executions in flight",
               _figure(medians, sc.FOOTPRINT, "peak_rss_mb"), 80.0, "MB", at_least=False),
        Target(starts, statistics.median(ready) if ready else None, 0.5, "s", at_least=False),
    ]  # fmt: skip


def tasks(medians: Medians) -> list[Target]:
    """The API-tasks issue's: each new network task no costlier than trigger, authorizeChannel
    cheaper, encryption adding at most 0.05 ms per event; the answers issue's: the idempotency
    check adding at most 5% to trigger's CPU."""

    def vs_trigger(form: str) -> float | None:
        return ratio(
            _figure(medians, sc.task_key(form), "cpu_ms"),
            _figure(medians, sc.TASK_TRIGGER, "cpu_ms"),
        )

    measured = {form: vs_trigger(form) for form in sc.NEW_NETWORK_TASKS}
    known = {form: value for form, value in measured.items() if value is not None}
    costliest = max(known, key=lambda form: known[form], default=None)
    name = f" ({costliest})" if costliest is not None else ""
    return [
        Target(f"costliest new network task{name}: CPU per execution vs trigger's (same run)",
               known[costliest] if costliest is not None else None, 1.0, "x", at_least=False),
        Target("authorizeChannel (no network): CPU per execution vs trigger's",
               vs_trigger("authorizeChannel"), 1.0, "x", at_least=False),
        Target("encryption's added CPU per event (encrypted trigger minus trigger, paired)",
               _figure(medians, sc.ENCRYPTION, "cpu_ms"), 0.05, "ms", at_least=False),
        Target("the idempotency check (store in process): keyed trigger's CPU vs its reference",
               ratio(_figure(medians, sc.TASK_KEYED, "cpu_ms"),
                     _figure(medians, sc.TASK_UNIQUE, "cpu_ms")), 1.05, "x", at_least=False),
        Target(f"serve's CPU per execution on G3 ({sc.G3_RELEASE}, Structs) vs G1 (v0.2), "
               "trigger", vs_trigger("trigger-g3"), 1.2, "x", at_least=False),
    ]  # fmt: skip


def webhooks(medians: Medians) -> list[Target]:
    """The webhooks issue's: serve's CPU per event at most 1.5x the bare handler's, and p99
    under 10 ms at 200 webhooks/s."""

    def vs_floor(serve: str, floor: str) -> float | None:
        return ratio(_figure(medians, serve, "cpu_ms"), _figure(medians, floor, "cpu_ms"))

    rate = sc.WEBHOOK_RATE
    return [
        Target("webhook CPU per event: serve vs the bare aiohttp handler, saturation",
               vs_floor(sc.WEBHOOK_SERVE_SAT, sc.WEBHOOK_FLOOR_SAT), 1.5, "x", at_least=False),
        Target(f"webhook CPU per event: serve vs the bare aiohttp handler, {rate}/s",
               vs_floor(sc.WEBHOOK_SERVE_RATE, sc.WEBHOOK_FLOOR_RATE), 1.5, "x", at_least=False),
        Target(f"webhook p99, POST to answer, at {rate} webhooks/s through serve",
               _figure(medians, sc.WEBHOOK_SERVE_RATE, "p99_ms"), 10.0, "ms", at_least=False),
    ]  # fmt: skip
