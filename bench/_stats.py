"""Pure arithmetic over measured samples: per-sample metrics, medians over rounds, percentiles."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any


def metrics(sample: Mapping[str, Any]) -> dict[str, float]:
    """One worker's report as figures: ``rate`` (operations/s), ``cpu_ms`` (CPU ms per
    operation), ``errors``, and any extra figures it reported."""
    count = int(sample.get("count", 0))
    elapsed = float(sample.get("elapsed", 0.0))
    cpu = float(sample.get("cpu", math.nan))
    figures = {
        "rate": count / elapsed if elapsed > 0 else 0.0,
        "cpu_ms": 1000.0 * cpu / count if count else math.nan,
        "errors": float(sample.get("errors", 0)),
        "count": float(count),
    }
    for key, value in dict(sample.get("extra", {})).items():
        figures[key] = float(value)
    return figures


def medians(rounds: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """The median of each figure over the rounds that reported it (NaN ignored)."""
    keys = sorted({key for figures in rounds for key in figures})
    result = {}
    for key in keys:
        values = [f[key] for f in rounds if key in f and not math.isnan(f[key])]
        result[key] = statistics.median(values) if values else math.nan
    return result


def spread(rounds: Sequence[Mapping[str, float]], key: str) -> tuple[float, float]:
    values = [f[key] for f in rounds if key in f and not math.isnan(f[key])]
    return (min(values), max(values)) if values else (math.nan, math.nan)


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (`fraction` from 0 to 1) of `values`; NaN for none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    if math.isnan(numerator) or math.isnan(denominator):
        return None
    return numerator / denominator
