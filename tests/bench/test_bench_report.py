"""The benchmark suite's pure parts: figures from worker reports, targets, the README table."""

from __future__ import annotations

import math
from pathlib import Path

from bench import _client_cases as cc
from bench import _report, _service_cases, _stats, _targets


def test_metrics_and_medians() -> None:
    rounds = [
        _stats.metrics({"count": 1000, "elapsed": 0.5, "cpu": 0.1, "errors": 0}),
        _stats.metrics({"count": 1000, "elapsed": 0.25, "cpu": 0.2, "extra": {"p50_ms": 3.0}}),
        _stats.metrics({"count": 0, "elapsed": 0.0, "cpu": 0.0}),
    ]
    assert rounds[0]["rate"] == 2000.0
    assert math.isclose(rounds[0]["cpu_ms"], 0.1)
    assert math.isnan(rounds[2]["cpu_ms"])
    medians = _stats.medians(rounds)
    assert medians["rate"] == 2000.0
    assert math.isclose(medians["cpu_ms"], 0.15)
    assert medians["p50_ms"] == 3.0
    assert _stats.spread(rounds, "rate") == (0.0, 4000.0)


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert _stats.percentile(values, 0.5) == 50.0
    assert _stats.percentile(values, 0.99) == 99.0
    assert _stats.percentile([7.0], 0.99) == 7.0
    assert math.isnan(_stats.percentile([], 0.5))


def test_client_targets_use_the_best_sdk_figure() -> None:
    medians = {
        cc.OURS_64_KA: {"rate": 6000.0, "cpu_ms": 0.3},
        cc.SDK_PY_SEQ: {"rate": 1000.0},
        cc.SDK_PY_THREADS: {"rate": 1500.0},
        cc.SDK_NODE: {"rate": 7000.0},
    }
    vs_sdk, vs_node, cpu = _targets.client(medians)
    assert (vs_sdk.measured, vs_sdk.met) == (4.0, False)
    assert vs_node.met is False
    assert (cpu.measured, cpu.met) == (0.3, True)
    assert _targets.client({})[0].met is None


def test_added_latency_is_serve_minus_the_ceiling() -> None:
    medians = {
        _service_cases.SERVE_RATE: {"p50_ms": 3.0, "p99_ms": 9.0},
        _service_cases.CEILING_RATE: {"p50_ms": 2.5, "p99_ms": 3.0},
        _service_cases.SERVE_SAT: {"cpu_ms": 0.95},
    }
    cpu, unanswered, p50, p99 = _targets.service(medians, unanswered=2)
    assert (cpu.met, unanswered.met) == (False, False)
    assert (p50.measured, p50.met) == (0.5, True)
    assert (p99.measured, p99.met) == (6.0, False)


def results(cases: list[dict[str, object]]) -> dict[str, object]:
    return {
        "date": "2026-01-02",
        "command": ".venv/bin/python -m bench",
        "rounds": 3,
        "machine": {"summary": "2 cores"},
        "cases": cases,
        "skipped": {"footprint": "not asked for"},
        "notes": {},
        "targets": [],
    }


def test_table_shows_each_group_and_ratios() -> None:
    def case(key: str, label: str, rate: float, cpu_ms: float) -> dict[str, object]:
        medians = {"rate": rate, "cpu_ms": cpu_ms}
        return {"key": key, "group": "client", "label": label, "medians": medians}

    cases = [case(cc.OURS_64_KA, "ours", 5000.0, 0.2), case(cc.SDK_PY_SEQ, "sdk", 1000.0, 0.9)]
    text = _report.table(results(cases))
    assert "| ours | 5,000 | 0.200 | 5.0x |" in text
    assert "| sdk | 1,000 | 0.900 | 1.0x |" in text
    assert "Not measured: not asked for" in text
    assert "Rerun: `.venv/bin/python -m bench`" in text


def test_readme_refresh_replaces_only_between_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    assert not _report.refresh_readme(readme, "table")
    readme.write_text("intro\n<!-- bench:start -->\nold\n<!-- bench:end -->\nrest\n", "utf-8")
    assert _report.refresh_readme(readme, "new table\n")
    assert readme.read_text("utf-8") == (
        "intro\n<!-- bench:start -->\nnew table\n<!-- bench:end -->\nrest\n"
    )
    plain = tmp_path / "PLAIN.md"
    plain.write_text("no markers\n", "utf-8")
    assert not _report.refresh_readme(plain, "table")
