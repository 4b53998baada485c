"""Serve's overhead over the null service: differences paired round by round."""

from __future__ import annotations

import math
from typing import Any

from bench import _service_cases as sc


def _round(count: int, cpu: float) -> dict[str, Any]:
    return {"count": count, "elapsed": 1.0, "cpu": cpu, "errors": 0}


def test_the_overhead_is_the_median_of_differences_within_each_round() -> None:
    reports = {
        sc.SERVE_SAT: [_round(1000, 0.40), _round(1000, 0.90), _round(1000, 0.45)],
        sc.CEILING_SAT: [_round(2000, 0.40), _round(2000, 1.40), _round(2000, 0.60)],
    }
    (row,) = sc.overhead_rows(reports)
    assert row["key"] == sc.OVERHEAD_SAT
    assert [round(p, 6) for p in row["pairs"]] == [0.2, 0.2, 0.15]
    # Paired: a slow round slows both cases alike; the medians' difference (0.45 - 0.3) would
    # take each figure from a different round.
    assert math.isclose(row["medians"]["cpu_ms"], 0.2)
    assert (row["attempts"], row["failed"]) == (3, 0)


def test_a_round_where_either_case_failed_is_left_out() -> None:
    reports = {
        sc.SERVE_RATE: [_round(100, 0.06), {"error": "exit 1"}, _round(100, 0.07)],
        sc.CEILING_RATE: [{"error": "exit 1"}, _round(100, 0.03), _round(100, 0.03)],
    }
    (row,) = sc.overhead_rows(reports)
    assert row["key"] == sc.OVERHEAD_RATE
    assert [round(p, 6) for p in row["pairs"]] == [0.4]
    assert (row["attempts"], row["failed"]) == (3, 2)


def test_no_row_without_both_cases() -> None:
    assert sc.overhead_rows({sc.SERVE_SAT: [_round(10, 0.01)]}) == []
    (row,) = sc.overhead_rows({sc.SERVE_SAT: [{"error": "x"}], sc.CEILING_SAT: [{"error": "x"}]})
    assert math.isnan(row["medians"]["cpu_ms"])


def test_saturation_is_driven_by_the_stand_in_and_the_rates_by_an_application() -> None:
    cases = sc.service_cases(count=10, seconds=1.0, rate_seconds=2.0, warmup=1, local=True)
    drivers = {c.key: c.argv[c.argv.index("--driver") + 1] for c in cases}
    assert drivers == {
        sc.CEILING_SAT: "standin",
        sc.PUBLISHING_SAT: "standin",
        sc.SERVE_SAT: "standin",
        sc.SERVE_TLS_SAT: "standin",
        sc.SERVE_UVLOOP_SAT: "standin",
        sc.SERVE_TLS_UVLOOP_SAT: "standin",
        sc.LOCAL_SAT: "standin",
        sc.CEILING_RATE: "app",
        sc.SERVE_RATE: "app",
        sc.LOCAL_RATE: "app",
    }


def test_serve_s_own_part_is_serve_minus_the_publishing_floor() -> None:
    reports = {
        sc.SERVE_SAT: [_round(1000, 0.36), _round(1000, 0.38)],
        sc.PUBLISHING_SAT: [_round(1000, 0.22), _round(1000, 0.23)],
    }
    (row,) = sc.overhead_rows(reports)
    assert row["key"] == sc.MACHINERY_SAT
    assert math.isclose(row["medians"]["cpu_ms"], 0.145)
