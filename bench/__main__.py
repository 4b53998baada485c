"""``python -m bench``: every benchmark of the project in one run, and its report refreshed.

Parts: ``client`` (our client against the official SDKs and the floors, on an nginx sink),
``service`` (executions through the engine stand-in and ``mesg-pusher serve``), ``tasks`` (every
task through serve, beside ``trigger``), ``webhooks`` (webhooks becoming events, beside a bare
aiohttp handler) and ``footprint`` (memory with 1,000 executions in flight, time to ready).
Results go to bench/results/latest.json and README-table.md, the chart to docs/bench.png, the
tables into bench/README.md and a summary into the README (between their markers).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from . import (
    _client_cases,
    _machine,
    _nginx,
    _report,
    _runner,
    _service_cases,
    _stats,
    _targets,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CHART = ROOT / "docs" / "bench.png"
PARTS = ("client", "service", "tasks", "webhooks", "footprint")


def _options(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds (< 1 min)")
    parser.add_argument("--rounds", type=int, help="rounds of every case (default 5, quick 2)")
    parser.add_argument(
        "--only", action="append", choices=PARTS, help="run only this part (repeatable)"
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print the table; write no results or chart"
    )
    parser.add_argument(
        "--render",
        action="store_true",
        help="measure nothing: render bench/results/latest.json into the tables and summary",
    )
    return parser.parse_args(argv)


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _installed(folder: Path) -> bool:
    """Whether `folder`'s node_modules holds what its package-lock.json names: npm's own record
    of what it installed (node_modules/.package-lock.json) lists the same packages. (Times
    would not do: a checkout's lock file is newer than modules installed before it.)"""
    try:
        lock = json.loads((folder / "package-lock.json").read_text("utf-8"))
        done = json.loads((folder / "node_modules" / ".package-lock.json").read_text("utf-8"))
    except (OSError, ValueError):
        return False
    wanted = {name: entry for name, entry in lock.get("packages", {}).items() if name}
    return bool(wanted) and wanted == done.get("packages")


def _node_ready(folder: Path = _client_cases.NODE_DIR) -> str | None:
    """The node binary with the bench's npm packages installed, or None (then it is skipped)."""
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None:
        return None
    if _installed(folder):
        return node
    modules = folder / "node_modules"
    if modules.is_symlink():
        # npm ci would empty the folder it points to, which another checkout uses.
        _log(f"bench: {modules} is a link to modules that differ from the lock: not measured")
        return None
    if npm is None:
        return None
    _log(f"bench: npm ci ({folder})")
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=folder,
        check=False,
        timeout=300,
    )
    return node if done.returncode == 0 else None


def _summaries(
    cases: Sequence[_runner.Case], reports: dict[str, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    rows = []
    for case in cases:
        attempts = reports.get(case.key, [])
        good = [r for r in attempts if "error" not in r]
        figures = [_stats.metrics(r) for r in good]
        rows.append(
            {
                "key": case.key,
                "group": case.group,
                "label": case.label,
                "medians": _stats.medians(figures),
                "rate_range": list(_stats.spread(figures, "rate")),
                "attempts": len(attempts),
                "failed": len(attempts) - len(good),
                "errors": sorted({r["error"] for r in attempts if "error" in r})[:3],
                "rounds": good,
            }
        )
    return rows


def _service_note(medians: dict[str, dict[str, float]]) -> str:
    """What bounds the saturation rows, and how the figures are taken."""
    ceiling = medians.get(_service_cases.CEILING_SAT, {})
    parts = []
    for key, name in ((_service_cases.SERVE_SAT, "nginx"), (_service_cases.LOCAL_SAT, "local")):
        serve = medians.get(key, {})
        share = _stats.ratio(serve.get("rate"), ceiling.get("rate"))
        cores = serve.get("service_cores", math.nan)
        if share is not None and not math.isnan(cores):
            parts.append(
                f"with the {name} endpoint serve kept {cores:.2f} of a core busy at "
                f"{share:.0%} of the null service's rate"
            )
    bound = ""
    if parts:
        bound = (
            f"At saturation {' and '.join(parts)} ({ceiling['rate']:,.0f} executions/s, "
            "what the stand-in itself reaches with a service that does nothing): a Python "
            "service's own code runs on one core, so near 1.0 the service is the bound, not "
            "the load. "
        )
    return (
        bound + "The saturation rows are driven by the engine stand-in itself, served from the "
        "measuring process, which makes the executions and hears their results without gRPC "
        "of its own (its CPU, that process's, is the stand-in column); the 200/s rows by an "
        "application sending ExecuteTask and reading ListenResult through `mesg-pusher "
        "engine`. p50 and p99 run from the execution asked for to its result; the in-serve "
        "figures are serve's own time per execution (its log's duration, from the task's "
        "arrival to the result submitted, SubmitResult's round trip included). Serve's "
        "overhead is its CPU per execution minus the null service's, paired round by round; "
        "at saturation the null service runs faster, spreading its fixed costs over more "
        "executions, so if anything the overhead is overstated. The publishing floor is the "
        "null service posting one request signed once to nginx on a keep-alive connection "
        "before each answer, with no task of its own: the network's share of the overhead; "
        "serve's own part is what serve spends beyond it (validation, signing, the task, the "
        "secrets checks, the log line, the metrics)."
    )


_TASKS_NOTE = (
    "Each task's executions are made by the engine stand-in of the measuring process, as at "
    "the service's saturation, with the app's credentials and the endpoint in the inputs; the "
    "nginx sink answers each query with a body of the shape Pusher gives (a channel list, an "
    "occupied presence channel with its user count, one user), so every execution is answered "
    "`success`. The ratio is each task's CPU per execution over trigger's, in the same run. "
    "Encryption's cost is the encrypted trigger's CPU per execution minus trigger's, paired "
    "round by round: it is what the whole path pays for it (the channel's key derived, the "
    "data sealed, a larger body signed and sent). The last row is trigger with the stand-in of "
    "engine v0.16 (the third generation: inputs and outputs as Structs, hashes as bytes, serve "
    "finding the protocol from the variables that release gives) instead of v0.2: its ratio "
    "is serve's CPU per execution on G3 over G1's."
)


def _webhooks_note(medians: dict[str, dict[str, float]]) -> str:
    serve = medians.get(_service_cases.WEBHOOK_SERVE_SAT, {})
    cores = serve.get("service_cores", math.nan)
    bound = (
        f"At saturation serve kept {cores:.2f} of a core busy. " if not math.isnan(cores) else ""
    )
    return (
        bound + "Each webhook carries one event (the costliest case per event: a webhook's "
        "fixed costs fall on one event), on its own channel so that no body is taken for a "
        "retry, signed with the app's secret as Pusher signs it; the requests are made before "
        "the load starts and posted on keep-alive connections from the measuring process, "
        "which also serves the engine stand-in (their CPU is the stand-in and load column). "
        "Latency runs from the POST to its answer, given once the engine accepted the event. "
        "The in-process rows drive serve's receiver (`Service.receiver.receive`) and the "
        "bare EmitEvent calls from the measuring process, with the stand-in in a process of "
        "its own: the receiver's cost without HTTP. Through the real v0.2 engine the engine "
        "is the bound, not serve: it opens its database on every EmitEvent, 10-20 ms a call, "
        "so a webhook's answer waits that long per event."
    )


def _unsuccessful(
    rows: Sequence[dict[str, Any]],
    reports: dict[str, list[dict[str, Any]]],
    groups: Sequence[str],
) -> float:
    """Operations of `groups`' cases that got no answer or not a success (an error output, a
    webhook answered other than 200), and rounds that failed, over every round."""
    return sum(
        float(r.get("extra", {}).get("unanswered", 0))
        + float(r.get("errors", 0))
        + (1 if "error" in r else 0)
        for row in rows
        if row["group"] in groups
        for r in reports.get(row["key"], [])
    )


def _overhead_of(row: dict[str, Any]) -> str:
    """The serve case a derived overhead row follows in the table."""
    return next(o.serve for o in _service_cases.OVERHEADS if o.key == row["key"])


def _has_client(results: dict[str, Any]) -> bool:
    return any(case["group"] == "client" for case in results["cases"])


def _render() -> int:
    """The tables and the summary again from the latest results (after a change of the report
    alone); the chart stays as it is."""
    results = json.loads((RESULTS / "latest.json").read_text("utf-8"))
    table = _report.table(results)
    (RESULTS / "README-table.md").write_text(table, "utf-8")
    client = _report.client_speed(results) if _has_client(results) else None
    for doc in _report.refresh_docs(ROOT, table, _report.summary(results), client):
        _log(f"bench: {doc.relative_to(ROOT)} refreshed")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    options = _options(argv)
    if options.render:
        return _render()
    parts = options.only or list(PARTS)
    rounds = options.rounds or (2 if options.quick else 5)
    service_rounds = options.rounds or (1 if options.quick else 3)
    count, seconds, warmup = (1500, 1.0, 200) if options.quick else (6000, 2.5, 500)
    node = _node_ready() if "client" in parts else shutil.which("node")
    nginx = _nginx.nginx_path()
    values = {"python": sys.executable}
    started = time.monotonic()
    all_cases: list[_runner.Case] = []
    reports: dict[str, list[dict[str, Any]]] = {}
    skipped: dict[str, str] = {}
    notes: dict[str, str] = {}

    cases: list[_runner.Case] = []
    if "client" in parts:
        cases += _client_cases.cases(count=count, seconds=seconds, warmup=warmup, node=node)
        if node is None:
            notes["client"] = "The Node SDK was not measured: node or its npm packages are missing."
    if "service" in parts:
        service_seconds = 1.5 if options.quick else 3.0
        cases += _service_cases.service_cases(
            count=12_000,
            seconds=service_seconds,
            rate_seconds=2 * service_seconds,
            warmup=200,
            local=not options.quick,
        )
    if "tasks" in parts:
        cases += _service_cases.task_cases(
            count=12_000, seconds=1.5 if options.quick else 3.0, warmup=200
        )
    if "webhooks" in parts:
        webhook_seconds = 1.5 if options.quick else 3.0
        cases += _service_cases.webhook_cases(
            count=12_000,
            seconds=webhook_seconds,
            rate_seconds=2 * webhook_seconds,
            warmup=200,
        )
    if "footprint" in parts:
        cases += _service_cases.footprint_cases(seconds=10.0)
    try:
        with _nginx.running() as sink:
            _log(f"bench: nginx sink on 127.0.0.1:{sink.port}; {len(cases)} cases")
            run_values = values | {
                "port": str(sink.port),
                "tls_port": str(sink.tls_port),
                "ca": sink.ca_file,
            }
            for group in PARTS:
                chosen = [c for c in cases if c.group == group]
                if chosen:
                    times = rounds if group == "client" else service_rounds
                    reports |= _runner.run_rounds(chosen, times, run_values, _log)
                    all_cases += chosen
    except RuntimeError as error:
        for part in parts:
            skipped[part] = str(error)

    rows = _summaries(all_cases, reports)
    derived_keys = {o.key for o in _service_cases.OVERHEADS}
    for derived in _service_cases.overhead_rows(reports):
        after = next(i for i, row in enumerate(rows) if row["key"] == _overhead_of(derived))
        while after + 1 < len(rows) and rows[after + 1]["key"] in derived_keys:
            after += 1  # after the rows derived from the same case, in their order
        rows.insert(after + 1, derived)
    medians = {row["key"]: row["medians"] for row in rows}
    targets: list[_targets.Target] = []
    if "client" in parts:
        targets += _targets.client(medians)
    if "service" in parts:
        targets += _targets.service(medians)
        notes["service"] = _service_note(medians)
    if "service" in parts or "tasks" in parts:
        groups = [group for group in ("service", "tasks") if group in parts]
        which = " and ".join(groups)
        targets.append(
            _targets.unsuccessful(
                _unsuccessful(rows, reports, groups),
                f"executions without a success result ({which} cases, all rounds)",
            )
        )
    if "tasks" in parts:
        targets += _targets.tasks(medians)
        notes["tasks"] = _TASKS_NOTE
    if "webhooks" in parts:
        targets += _targets.webhooks(medians)
        targets.append(
            _targets.unsuccessful(
                _unsuccessful(rows, reports, ("webhooks",)),
                "webhooks without a 200 answer (all webhook cases, all rounds)",
            )
        )
        notes["webhooks"] = _webhooks_note(medians)
    if "footprint" in parts:
        serve_starts = [
            float(r["extra"]["ready_s"])
            for row in rows
            # Every serve started as by default (its HTTP listener on).
            if row["key"].startswith(("service.serve.", "tasks."))
            or row["key"] == _service_cases.FOOTPRINT
            for r in row["rounds"]
            if "ready_s" in r.get("extra", {})
        ]
        targets += _targets.footprint(medians, serve_starts)
    command = ".venv/bin/python -m bench" + (" --quick" if options.quick else "")
    results: dict[str, Any] = {
        "date": datetime.date.today().isoformat(),
        "command": command,
        "rounds": rounds,
        "service_rounds": service_rounds,
        "quick": options.quick,
        "seconds": round(time.monotonic() - started, 1),
        "machine": _machine.describe(node, nginx),
        "cases": rows,
        "skipped": skipped,
        "notes": notes,
        "targets": [asdict(t) | {"met": t.met} for t in targets],
    }
    table = _report.table(results | {"targets": [asdict(t) for t in targets]})
    print(table)
    if not options.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "latest.json").write_text(json.dumps(results, indent=1) + "\n", "utf-8")
        (RESULTS / "README-table.md").write_text(table, "utf-8")
        _report.chart(results, CHART)
        client = _report.client_speed(results) if _has_client(results) else None
        for doc in _report.refresh_docs(ROOT, table, _report.summary(results), client):
            _log(f"bench: {doc.relative_to(ROOT)} refreshed")
        _log(f"bench: wrote {RESULTS / 'latest.json'}, {RESULTS / 'README-table.md'}, {CHART}")
    _log(f"bench: done in {results['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
