"""Parts 2 and 3, the service: executions through the engine stand-in, and serve's footprint.

At saturation the stand-in originates the executions itself (``_drivers.Origin``), so that the
service, not the load, is the bound; at a fixed rate an application drives them through
``mesg-pusher engine`` (``_drivers.Application``), so that latency is what an application sees.
Serve's overhead (`OVERHEADS`) is derived: its CPU per execution minus the null service's,
round by round.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._runner import Case
from ._stats import metrics

SATURATION_IN_FLIGHT = 128
RATE = 200
FOOTPRINT_IN_FLIGHT = 1000

CEILING_SAT = "service.ceiling.saturation"
SERVE_SAT = "service.serve.nginx.saturation"
LOCAL_SAT = "service.serve.local.saturation"
CEILING_RATE = f"service.ceiling.{RATE}"
SERVE_RATE = f"service.serve.nginx.{RATE}"
LOCAL_RATE = f"service.serve.local.{RATE}"
FOOTPRINT = "footprint.serve"
OVERHEAD_SAT = "service.overhead.saturation"
OVERHEAD_RATE = f"service.overhead.{RATE}"


@dataclass(frozen=True)
class Overhead:
    """A derived row: `serve`'s figure minus `floor`'s, paired round by round."""

    key: str
    serve: str
    floor: str
    label: str


OVERHEADS = (
    Overhead(OVERHEAD_SAT, SERVE_SAT, CEILING_SAT,
             "serve's overhead: serve -> nginx minus the null service, saturation"),
    Overhead(OVERHEAD_RATE, SERVE_RATE, CEILING_RATE,
             f"serve's overhead: serve -> nginx minus the null service, {RATE}/s offered"),
)  # fmt: skip

_TARGETS = {
    "none": "null service (the floor)",
    "nginx": "serve -> nginx sink",
    "local": "serve -> local Pusher server",
}


def service_cases(
    *, count: int, seconds: float, rate_seconds: float, warmup: int, local: bool
) -> list[Case]:
    """`rate_seconds` is longer than `seconds`: a p99 needs many executions at a low rate."""

    def case(key: str, target: str, rate: int) -> Case:
        load = (
            f"{rate}/s offered by an application"
            if rate
            else f"saturation ({SATURATION_IN_FLIGHT} in flight, from the stand-in)"
        )
        span = rate_seconds if rate else seconds
        argv = (
            "{python}", "-m", "bench._service", "--port", "{port}", "--target", target,
            "--count", str(count), "--seconds", str(span), "--warmup", str(warmup),
            "--concurrency", str(SATURATION_IN_FLIGHT), "--rate", str(rate),
            "--driver", "app" if rate else "standin",
        )  # fmt: skip
        return Case(key, "service", f"{_TARGETS[target]}, {load}", argv, 60 + 3 * span)

    found = [
        case(CEILING_SAT, "none", 0),
        case(SERVE_SAT, "nginx", 0),
        case(CEILING_RATE, "none", RATE),
        case(SERVE_RATE, "nginx", RATE),
    ]
    if local:
        found += [case(LOCAL_SAT, "local", 0), case(LOCAL_RATE, "local", RATE)]
    return found


def footprint_cases(*, seconds: float) -> list[Case]:
    argv = (
        "{python}", "-m", "bench._footprint", "--port", "{port}",
        "--count", str(FOOTPRINT_IN_FLIGHT), "--seconds", str(seconds),
    )  # fmt: skip
    label = f"serve, {FOOTPRINT_IN_FLIGHT:,} executions in flight"
    return [Case(FOOTPRINT, "footprint", label, argv, 120)]


def overhead_rows(reports: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """The `OVERHEADS` whose cases ran: each the median over the rounds of serve's CPU per
    execution minus the null service's in the same round (a round where either failed is
    left out), with the differences themselves under ``pairs``."""
    rows = []
    for overhead in OVERHEADS:
        serve, floor = reports.get(overhead.serve), reports.get(overhead.floor)
        if not serve or not floor:
            continue
        pairs = [
            a - b
            for a, b in zip(_cpu_ms(serve), _cpu_ms(floor), strict=False)
            if not (math.isnan(a) or math.isnan(b))
        ]
        rows.append(
            {
                "key": overhead.key,
                "group": "service",
                "label": overhead.label,
                "medians": {"cpu_ms": statistics.median(pairs) if pairs else math.nan},
                "pairs": pairs,
                "attempts": min(len(serve), len(floor)),
                "failed": min(len(serve), len(floor)) - len(pairs),
                "errors": [],
                "rounds": [],
            }
        )
    return rows


def _cpu_ms(reports: Sequence[Mapping[str, Any]]) -> list[float]:
    """Each round's CPU ms per execution; NaN for a round that failed."""
    return [math.nan if "error" in r else metrics(r)["cpu_ms"] for r in reports]
