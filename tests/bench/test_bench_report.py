"""The benchmark suite's pure parts: figures from worker reports, targets, the README table."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path

from bench import _client_cases as cc
from bench import _report, _service_cases, _stats, _targets

ROOT = Path(__file__).resolve().parents[2]


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
    vs_sdk, vs_node, cpu, *_ = _targets.client(medians)
    assert (vs_sdk.measured, vs_sdk.met) == (4.0, False)
    assert vs_node.met is False
    assert (cpu.measured, cpu.met) == (0.3, True)
    assert _targets.client({})[0].met is None


def test_tls_targets_compare_cpu_per_trigger_in_the_same_run() -> None:
    medians = {
        cc.OURS_64_KA: {"cpu_ms": 0.060},
        cc.tls(cc.OURS_64_KA): {"cpu_ms": 0.075},
        cc.tls(cc.SDK_PY_SEQ): {"cpu_ms": 0.9},
        cc.tls(cc.SDK_PY_THREADS): {"cpu_ms": 1.2},
        cc.tls(cc.SDK_NODE): {"cpu_ms": 0.3},
    }
    *_, vs_python, vs_node, vs_plain = _targets.client(medians)
    assert (round(vs_python.measured or 0, 4), vs_python.met) == (0.0833, True)
    assert (vs_node.measured, vs_node.met) == (0.25, True)
    assert (vs_plain.measured, vs_plain.met) == (1.25, True)
    slow = medians | {cc.tls(cc.OURS_64_KA): {"cpu_ms": 0.1}}
    assert [t.met for t in _targets.client(slow)[-3:]] == [False, True, False]


def test_added_latency_is_serve_minus_the_ceiling() -> None:
    medians = {
        _service_cases.SERVE_RATE: {"p50_ms": 3.0, "p99_ms": 9.0},
        _service_cases.CEILING_RATE: {"p50_ms": 2.5, "p99_ms": 3.0},
        _service_cases.SERVE_SAT: {"cpu_ms": 0.95},
    }
    cpu, overhead, p50, p99, tls = _targets.service(medians)
    assert tls.met is None
    assert (cpu.met, overhead.met) == (False, None)
    unanswered = _targets.unsuccessful(2, "executions without a success result")
    assert (unanswered.met, _targets.unsuccessful(0, "none").met) == (False, True)
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


def test_markers_count_only_on_lines_of_their_own(tmp_path: Path) -> None:
    doc = tmp_path / "README.md"
    doc.write_text(
        "the tables stand between `<!-- bench:start -->` and its end marker\n"
        "<!-- bench:start -->\nold\n<!-- bench:end -->\n",
        "utf-8",
    )
    assert _report.refresh_readme(doc, "new")
    assert doc.read_text("utf-8") == (
        "the tables stand between `<!-- bench:start -->` and its end marker\n"
        "<!-- bench:start -->\nnew\n<!-- bench:end -->\n"
    )


def _case(key: str, group: str, **medians: float) -> dict[str, object]:
    return {"key": key, "group": group, "label": key, "medians": medians}


def test_summary_gives_the_headline_ratios_and_the_unmet_targets() -> None:
    sc = _service_cases
    run = results(
        [
            _case(cc.OURS_64_KA, "client", rate=6000.0, cpu_ms=0.06),
            _case(cc.SDK_PY_SEQ, "client", rate=1000.0),
            _case(cc.SDK_PY_THREADS, "client", rate=500.0),
            _case(cc.SDK_NODE, "client", rate=4000.0),
            _case(cc.tls(cc.OURS_64_KA), "client", rate=5000.0, cpu_ms=0.072),
            _case(cc.tls(cc.SDK_PY_SEQ), "client", rate=500.0),
            _case(cc.tls(cc.SDK_NODE), "client", rate=2500.0),
            _case(sc.CEILING_SAT, "service", rate=1000.0),
            _case(sc.SERVE_SAT, "service", rate=900.0, cpu_ms=0.5),
            _case(sc.SERVE_TLS_SAT, "service", rate=850.0, cpu_ms=0.525),
            _case(sc.CEILING_RATE, "service", p50_ms=2.0, p99_ms=3.0),
            _case(sc.SERVE_RATE, "service", p50_ms=3.0, p99_ms=4.5),
            _case(sc.FOOTPRINT, "footprint", peak_rss_mb=60.4),
        ]
    )
    met = _targets.Target("fast enough", 2.0, 1.0, "x", at_least=True)
    unmet = _targets.Target("lean enough", 1.5, 1.0, "ms", at_least=False)
    # As the run writes them: each target's fields and its verdict.
    run["targets"] = [asdict(t) | {"met": t.met} for t in (met, unmet)]
    text = _report.summary(run)
    assert text.splitlines() == [
        "- **Client over TLS**: 10.0x the official Python SDK's triggers/s and 2.0x the official "
        "Node SDK's, at 0.072 ms of CPU per trigger (64 in flight, keep-alive, 1.20x our own "
        "over plain HTTP).",
        "- **Client over plain HTTP**: 6.0x the official Python SDK's triggers/s and 1.5x the "
        "official Node SDK's, at 0.060 ms of CPU per trigger (64 in flight, keep-alive).",
        "- **Service**: `serve` publishing to nginx answers 900 executions/s at saturation (90% "
        "of the engine stand-in's own ceiling), at 0.500 ms of CPU each; over TLS 0.525 ms "
        "(1.05x); at 200/s it adds 1.00 ms p50 and 1.50 ms p99 to the stand-in's latency.",
        "- **Footprint**: 60 MB peak RSS with 1,000 executions in flight.",
        "- **Targets**: 1 of 2 met; not met: lean enough, measured 1.5 ms, limit <= 1 ms.",
        "",
        "Measured 2026-01-02 on 2 cores; every table, how it is measured and how to rerun it: "
        "[bench/README.md](bench/README.md).",
    ]


def test_summary_leaves_out_what_was_not_measured() -> None:
    text = _report.summary(results([_case(cc.SDK_PY_SEQ, "client", rate=1000.0)]))
    assert text.splitlines() == [
        "",
        "Measured 2026-01-02 on 2 cores; every table, how it is measured and how to rerun it: "
        "[bench/README.md](bench/README.md).",
    ]


def test_refresh_docs_puts_the_tables_and_the_summary_each_in_its_place(tmp_path: Path) -> None:
    (tmp_path / "bench").mkdir()
    tables = tmp_path / "bench" / "README.md"
    tables.write_text("# Benchmarks\n<!-- bench:start -->\n<!-- bench:end -->\n", "utf-8")
    readme = tmp_path / "README.md"
    readme.write_text("<!-- bench-summary:start -->\n<!-- bench-summary:end -->\n", "utf-8")
    assert _report.refresh_docs(tmp_path, "TABLES", "SUMMARY") == [tables, readme]
    assert "<!-- bench:start -->\nTABLES\n<!-- bench:end -->" in tables.read_text("utf-8")
    assert "SUMMARY" in readme.read_text("utf-8")
    assert "TABLES" not in readme.read_text("utf-8")


def test_the_docs_show_what_the_latest_results_render_to() -> None:
    """bench/README.md and the README hold what the report makes of bench/results/latest.json
    (`python -m bench` rewrites all three together)."""
    latest = json.loads((ROOT / "bench" / "results" / "latest.json").read_text("utf-8"))
    tables = (ROOT / "bench" / "README.md").read_text("utf-8")
    readme = (ROOT / "README.md").read_text("utf-8")
    expected_tables = _report.table(latest).rstrip()
    expected_summary = _report.summary(latest).rstrip()
    assert f"{_report.START_MARK}\n{expected_tables}\n{_report.END_MARK}" in tables
    summary = f"{_report.SUMMARY_START_MARK}\n{expected_summary}\n{_report.SUMMARY_END_MARK}"
    assert summary in readme
    assert _report.START_MARK not in readme  # the full tables live beside the bench suite
    client = (ROOT / "docs" / "python-client.md").read_text("utf-8")
    speed = _report.client_speed(latest).rstrip()
    assert f"{_report.CLIENT_START_MARK}\n{speed}\n{_report.CLIENT_END_MARK}" in client


def test_the_client_page_compares_ours_over_tls_with_each_sdk() -> None:
    run = results(
        [
            _case(cc.tls(cc.OURS_64_KA), "client", rate=5000.0, cpu_ms=0.08),
            _case(cc.tls(cc.SDK_PY_SEQ), "client", rate=900.0, cpu_ms=0.8),
            _case(cc.tls(cc.SDK_NODE), "client", rate=3000.0, cpu_ms=0.32),
        ]
    )
    lines = _report.client_speed(run).splitlines()
    assert lines[4:] == [
        f"| {cc.tls(cc.OURS_64_KA)} | 5,000 | 0.080 | - |",
        f"| {cc.tls(cc.SDK_PY_SEQ)} | 900 | 0.800 | 10% of its CPU |",
        f"| {cc.tls(cc.SDK_NODE)} | 3,000 | 0.320 | 25% of its CPU |",
    ]


def test_the_service_table_shows_the_overhead_row_and_what_bounds_the_load() -> None:
    sc = _service_cases
    run = results(
        [
            _case(sc.SERVE_SAT, "service", rate=2500.0, cpu_ms=0.4, service_cores=0.98,
                  standin_cpu_ms=0.3),
            _case(sc.OVERHEAD_SAT, "service", cpu_ms=0.19),
        ]
    )  # fmt: skip
    run["service_rounds"] = 2
    text = _report.table(run)
    assert "medians of 3 (the parts through the service: 2) interleaved rounds" in text
    assert "| Service CPU ms per execution | Service cores busy | Stand-in CPU ms per" in text
    assert f"| {sc.SERVE_SAT} | - | 2,500 | 0.400 | 0.98 | 0.300 | - |" in text
    assert f"| {sc.OVERHEAD_SAT} | - | - | 0.190 | - | - |" in text


def test_the_summary_gives_the_overhead_when_it_was_measured() -> None:
    sc = _service_cases
    run = results(
        [
            _case(sc.CEILING_SAT, "service", rate=4000.0),
            _case(sc.SERVE_SAT, "service", rate=2000.0, cpu_ms=0.4),
            _case(sc.OVERHEAD_SAT, "service", cpu_ms=0.19),
        ]
    )
    assert _report.summary(run).splitlines()[0] == (
        "- **Service**: `serve` publishing to nginx answers 2,000 executions/s at saturation "
        "(50% of the engine stand-in's own ceiling), at 0.400 ms of CPU each (0.190 ms more "
        "than the null service's)."
    )


def test_the_overhead_target_is_at_most_a_fifth_of_a_millisecond() -> None:
    def overhead(cpu_ms: float) -> bool | None:
        medians = {_service_cases.OVERHEAD_SAT: {"cpu_ms": cpu_ms}}
        return _targets.service(medians)[1].met

    assert (overhead(0.2), overhead(0.21)) == (True, False)


def test_the_tasks_table_gives_each_task_beside_trigger() -> None:
    sc = _service_cases
    run = results(
        [
            _case(sc.TASK_TRIGGER, "tasks", rate=2800.0, cpu_ms=0.40),
            _case(sc.task_key("channels"), "tasks", rate=2700.0, cpu_ms=0.42),
            _case(sc.ENCRYPTION, "tasks", cpu_ms=0.013),
        ]
    )
    text = _report.table(run)
    assert "| Executions/s | Service CPU ms per execution | CPU vs trigger |" in text
    assert f"| {sc.TASK_TRIGGER} | 2,800 | 0.400 | 1.00x |" in text
    assert f"| {sc.task_key('channels')} | 2,700 | 0.420 | 1.05x |" in text
    assert f"| {sc.ENCRYPTION} | - | 0.013 | - |" in text


def test_the_tasks_targets_name_the_costliest_new_task() -> None:
    sc = _service_cases
    medians = {
        sc.TASK_TRIGGER: {"cpu_ms": 0.40},
        sc.task_key("channels"): {"cpu_ms": 0.38},
        sc.task_key("users"): {"cpu_ms": 0.42},
        sc.TASK_AUTHORIZE: {"cpu_ms": 0.30},
        sc.ENCRYPTION: {"cpu_ms": 0.06},
        sc.TASK_KEYED: {"cpu_ms": 0.41},
        sc.TASK_UNIQUE: {"cpu_ms": 0.40},
        sc.TASK_TRIGGER_G3: {"cpu_ms": 0.46},
    }
    costliest, authorize, encryption, keyed, g3 = _targets.tasks(medians)
    assert "(users)" in costliest.name
    assert (round(costliest.measured or 0, 3), costliest.met) == (1.05, False)
    assert math.isclose(authorize.measured or 0, 0.75)
    assert authorize.met is True
    assert encryption.met is False
    assert (round(keyed.measured or 0, 3), keyed.met) == (1.025, True)
    assert (round(g3.measured or 0, 3), g3.met) == (1.15, True)  # at most 1.2x G1's
    assert [t.met for t in _targets.tasks({})] == [None, None, None, None, None]


def test_the_webhook_targets_are_serve_against_the_floor_and_a_p99() -> None:
    sc = _service_cases
    medians = {
        sc.WEBHOOK_SERVE_SAT: {"cpu_ms": 0.30},
        sc.WEBHOOK_FLOOR_SAT: {"cpu_ms": 0.20},
        sc.WEBHOOK_SERVE_RATE: {"cpu_ms": 0.70, "p99_ms": 12.0},
        sc.WEBHOOK_FLOOR_RATE: {"cpu_ms": 0.40},
    }
    saturation, at_rate, p99 = _targets.webhooks(medians)
    assert math.isclose(saturation.measured or 0, 1.5)
    assert saturation.met is True  # at the limit
    assert math.isclose(at_rate.measured or 0, 1.75)
    assert at_rate.met is False
    assert (p99.measured, p99.met) == (12.0, False)


def test_the_summary_gives_the_tasks_and_the_webhooks() -> None:
    sc = _service_cases
    run = results(
        [
            _case(sc.TASK_TRIGGER, "tasks", cpu_ms=0.40),
            _case(sc.task_key("channels"), "tasks", cpu_ms=0.38),
            _case(sc.task_key("users"), "tasks", cpu_ms=0.36),
            _case(sc.TASK_AUTHORIZE, "tasks", cpu_ms=0.32),
            _case(sc.ENCRYPTION, "tasks", cpu_ms=0.012),
            _case(sc.WEBHOOK_FLOOR_SAT, "webhooks", rate=4200.0, cpu_ms=0.2),
            _case(sc.WEBHOOK_SERVE_SAT, "webhooks", rate=4000.0, cpu_ms=0.25),
            _case(sc.WEBHOOK_SERVE_RATE, "webhooks", p99_ms=2.34),
        ]
    )
    assert _report.summary(run).splitlines()[:2] == [
        "- **Tasks** (through `serve`): the costliest new network task (channels) at 0.95x "
        "trigger's CPU per execution, authorizeChannel at 0.80x, encryption adds 0.012 ms per "
        "event.",
        "- **Webhooks**: `serve` turns 4,000 webhooks/s into events at saturation, at 0.250 ms "
        "of CPU per event (1.25x a bare aiohttp handler's); p99 2.3 ms from the POST to its "
        "answer at 200 webhooks/s.",
    ]
