"""The run's results as markdown and a chart: the full tables for bench/README.md, a summary of
the headline ratios for the top-level README, and a PNG chart for the docs. Each document holds
its part between markers, which `refresh_docs` replaces."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import _client_cases as cc
from . import _service_cases as sc
from ._stats import ratio
from ._targets import Target

#: Around the full tables, in bench/README.md.
START_MARK = "<!-- bench:start -->"
END_MARK = "<!-- bench:end -->"
#: Around the summary, in the top-level README.
SUMMARY_START_MARK = "<!-- bench-summary:start -->"
SUMMARY_END_MARK = "<!-- bench-summary:end -->"
#: Around the client's figures, in docs/python-client.md.
CLIENT_START_MARK = "<!-- python-client-speed:start -->"
CLIENT_END_MARK = "<!-- python-client-speed:end -->"
#: Where each part goes, relative to the repository's root.
TABLES_DOC = Path("bench") / "README.md"
SUMMARY_DOC = Path("README.md")
CLIENT_DOC = Path("docs") / "python-client.md"
#: The rows of the client's own page: ours and the official SDKs, over TLS, then over plain HTTP.
CLIENT_ROWS = (
    cc.tls(cc.OURS_64_KA),
    cc.tls(cc.OURS_SEQ_KA),
    cc.tls(cc.SDK_PY_SEQ),
    cc.tls(cc.SDK_PY_THREADS),
    cc.tls(cc.SDK_NODE),
    cc.OURS_64_KA,
    cc.SDK_PY_SEQ,
    cc.SDK_NODE,
)

TITLES = {
    "client": "Client cost: one small event per trigger, to nginx answering `200 {}` on loopback",
    "service": "Through the service: executions from the engine stand-in, and their results",
    "tasks": (
        "Every task through serve: executions from the engine stand-in at saturation "
        f"({sc.SATURATION_IN_FLIGHT} in flight), serve -> nginx sink"
    ),
    "webhooks": (
        "Webhooks to events: signed webhooks of one event each, their events emitted to the "
        "engine stand-in"
    ),
    "footprint": "Footprint of `mesg-pusher serve`",
}
#: The column holding a row's CPU as a ratio to its reference's (`sc.CPU_REFERENCES`).
RATIO = "cpu_ratio"
COLUMNS: dict[str, list[tuple[str, str, str]]] = {
    "client": [("Triggers/s", "rate", "{:,.0f}"), ("CPU ms per trigger", "cpu_ms", "{:.3f}")],
    "service": [
        ("Offered /s", "offered", "{:,.0f}"),
        ("Executions/s", "rate", "{:,.0f}"),
        ("Service CPU ms per execution", "cpu_ms", "{:.3f}"),
        ("Service cores busy", "service_cores", "{:.2f}"),
        ("Stand-in CPU ms per execution", "standin_cpu_ms", "{:.3f}"),
        ("p50 ms", "p50_ms", "{:.2f}"),
        ("p99 ms", "p99_ms", "{:.2f}"),
        ("In serve p50 ms", "in_service_p50_ms", "{:.1f}"),
        ("In serve p99 ms", "in_service_p99_ms", "{:.1f}"),
        ("Unanswered", "unanswered", "{:.0f}"),
    ],
    "tasks": [
        ("Executions/s", "rate", "{:,.0f}"),
        ("Service CPU ms per execution", "cpu_ms", "{:.3f}"),
        ("CPU vs trigger", RATIO, "{:.2f}x"),
        ("Service cores busy", "service_cores", "{:.2f}"),
        ("In serve p50 ms", "in_service_p50_ms", "{:.1f}"),
        ("In serve p99 ms", "in_service_p99_ms", "{:.1f}"),
        ("Error outputs", "errors", "{:.0f}"),
        ("Unanswered", "unanswered", "{:.0f}"),
    ],
    "webhooks": [
        ("Offered /s", "offered", "{:,.0f}"),
        ("Events/s", "rate", "{:,.0f}"),
        ("Receiver CPU ms per event", "cpu_ms", "{:.3f}"),
        ("CPU vs floor", RATIO, "{:.2f}x"),
        ("Receiver cores busy", "service_cores", "{:.2f}"),
        ("Stand-in and load CPU ms per event", "standin_cpu_ms", "{:.3f}"),
        ("p50 ms", "p50_ms", "{:.2f}"),
        ("p99 ms", "p99_ms", "{:.2f}"),
        ("Not 200", "refused", "{:.0f}"),
        ("Unanswered", "unanswered", "{:.0f}"),
    ],
    "footprint": [
        ("Ready s", "ready_s", "{:.3f}"),
        ("RSS idle MB", "idle_rss_mb", "{:.1f}"),
        ("Peak RSS MB", "peak_rss_mb", "{:.1f}"),
        ("Requests held at Pusher", "held_at_pusher", "{:.0f}"),
    ],
}


def cpu_ratio(cases: Sequence[Mapping[str, Any]], key: str) -> float | None:
    """Row `key`'s CPU per operation over its reference's (`sc.CPU_REFERENCES`), if both ran."""
    reference = sc.CPU_REFERENCES.get(key)
    if reference is None:
        return None
    cpu = {c["key"]: c["medians"].get("cpu_ms", math.nan) for c in cases}
    return ratio(cpu.get(key), cpu.get(reference))


def _cell(medians: Mapping[str, float], name: str, form: str) -> str:
    value = medians.get(name)
    if value is None or math.isnan(value):
        return "-"
    return form.format(value)


def table(results: Mapping[str, Any]) -> str:
    """The full tables (with the run's conditions and the targets), for bench/README.md."""
    machine = results["machine"]
    rounds = f"{results['rounds']}"
    other = results.get("service_rounds")
    if other is not None and other != results["rounds"]:
        rounds += f" (the parts through the service: {other})"
    lines = [
        f"Measured {results['date']} on {machine['summary']}; medians of {rounds} "
        f"interleaved rounds, each case in its own process. Rerun: `{results['command']}`.",
        "",
    ]
    loads = [
        r["extra"]["load1"]
        for case in results["cases"]
        for r in case.get("rounds", [])
        if "load1" in r.get("extra", {})
    ]
    if loads:
        lines[0] += (
            f" The 1-minute load average was {min(loads):.1f} to {max(loads):.1f} during the run "
            f"({machine.get('cores', '?')} cores): other work on the machine shows most in the "
            "latency percentiles."
        )
    sdk_best = {tls: _sdk_best(results["cases"], tls) for tls in (False, True)}
    for group, title in TITLES.items():
        rows = [case for case in results["cases"] if case["group"] == group]
        if not rows and group not in results.get("skipped", {}):
            continue
        lines += [f"**{title}**", ""]
        if not rows:
            lines += [f"Not measured: {results['skipped'][group]}", ""]
            continue
        columns = COLUMNS[group]
        head = ["Case", *(name for name, _, _ in columns)]
        if group == "client":
            head.append("vs official Python SDK (same scheme)")
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "|".join([" --- "] + [" ---: "] * (len(head) - 1)) + "|")
        for case in rows:
            medians = dict(case["medians"])
            share = cpu_ratio(results["cases"], case["key"])
            if share is not None:
                medians[RATIO] = share
            cells = [case["label"], *(_cell(medians, key, form) for _, key, form in columns)]
            if group == "client":
                rate = medians.get("rate")
                best = sdk_best[case["key"].endswith(cc.TLS)]
                cells.append(f"{rate / best:.1f}x" if rate and best else "-")
            if case.get("failed"):
                cells[0] += f" (failed {case['failed']} of {case['attempts']} rounds)"
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        if group in results.get("notes", {}):
            lines += [results["notes"][group], ""]
    targets = _targets_of(results)
    if targets:
        lines += [
            "**Targets**",
            "",
            "| Target | Measured | Limit | Met |",
            "| --- | ---: | ---: | --- |",
        ]
        for target in targets:
            shown = "-" if target.measured is None else f"{target.measured:.3g} {target.unit}"
            sign = ">=" if target.at_least else "<="
            met = {True: "yes", False: "**no**", None: "not measured"}[target.met]
            lines.append(
                f"| {target.name} | {shown} | {sign} {target.limit:g} {target.unit} | {met} |"
            )
        lines.append("")
    return "\n".join(lines)


def _sdk_best(cases: Sequence[Mapping[str, Any]], tls: bool) -> float | None:
    """The official Python SDK's best triggers/s, over TLS or over plain HTTP."""
    keys: tuple[str, ...] = (cc.SDK_PY_SEQ, cc.SDK_PY_THREADS)
    if tls:
        keys = tuple(cc.tls(key) for key in keys)
    rates = [c["medians"].get("rate", math.nan) for c in cases if c["key"] in keys]
    rates = [r for r in rates if not math.isnan(r)]
    return max(rates) if rates else None


def _targets_of(results: Mapping[str, Any]) -> list[Target]:
    # Written results also hold each target's verdict ("met"), which Target computes itself.
    return [
        Target(t["name"], t["measured"], t["limit"], t["unit"], at_least=t["at_least"])
        for t in results.get("targets", [])
    ]


def _medians(results: Mapping[str, Any], key: str, name: str) -> float | None:
    for case in results["cases"]:
        if case["key"] == key:
            value = case["medians"].get(name)
            return None if value is None or math.isnan(value) else float(value)
    return None


def summary(results: Mapping[str, Any]) -> str:
    """A few lines of headline ratios for the top-level README; a figure that was not measured
    leaves its line out."""
    lines = []
    figure = functools.partial(_medians, results)
    line = _client_summary(figure, tls=True)
    if line:
        lines.append(line)
    line = _client_summary(figure, tls=False)
    if line:
        lines.append(line)
    rate, cpu = figure(sc.SERVE_SAT, "rate"), figure(sc.SERVE_SAT, "cpu_ms")
    share = ratio(rate, figure(sc.CEILING_SAT, "rate"))
    if rate is not None and cpu is not None and share is not None:
        added = [
            (serve - ceiling, name)
            for name in ("p50_ms", "p99_ms")
            if (serve := figure(sc.SERVE_RATE, name)) is not None
            and (ceiling := figure(sc.CEILING_RATE, name)) is not None
        ]
        latency = " and ".join(f"{value:.2f} ms {name[:3]}" for value, name in added)
        overhead = figure(sc.OVERHEAD_SAT, "cpu_ms")
        over = f" ({overhead:.3f} ms more than the null service's)" if overhead is not None else ""
        tls_cpu = figure(sc.SERVE_TLS_SAT, "cpu_ms")
        tls = f"; over TLS {tls_cpu:.3f} ms ({tls_cpu / cpu:.2f}x)" if tls_cpu is not None else ""
        lines.append(
            f"- **Service**: `serve` publishing to nginx answers {rate:,.0f} executions/s at "
            f"saturation ({share:.0%} of the engine stand-in's own ceiling), at {cpu:.3f} ms of "
            f"CPU each{over}{tls}"
            + (f"; at {sc.RATE}/s it adds {latency} to the stand-in's latency." if added else ".")
        )
    tasks_line = _tasks_summary(results)
    if tasks_line:
        lines.append(tasks_line)
    rate, cpu = figure(sc.WEBHOOK_SERVE_SAT, "rate"), figure(sc.WEBHOOK_SERVE_SAT, "cpu_ms")
    vs_floor = cpu_ratio(results["cases"], sc.WEBHOOK_SERVE_SAT)
    if rate is not None and cpu is not None and vs_floor is not None:
        p99 = figure(sc.WEBHOOK_SERVE_RATE, "p99_ms")
        at_rate = (
            f"; p99 {p99:.1f} ms from the POST to its answer at {sc.WEBHOOK_RATE} webhooks/s"
            if p99 is not None
            else ""
        )
        lines.append(
            f"- **Webhooks**: `serve` turns {rate:,.0f} webhooks/s into events at saturation, "
            f"at {cpu:.3f} ms of CPU per event ({vs_floor:.2f}x a bare aiohttp handler's)"
            f"{at_rate}."
        )
    peak = figure(sc.FOOTPRINT, "peak_rss_mb")
    if peak is not None:
        lines.append(
            f"- **Footprint**: {peak:.0f} MB peak RSS with {sc.FOOTPRINT_IN_FLIGHT:,} "
            "executions in flight."
        )
    targets = [t for t in _targets_of(results) if t.met is not None]
    if targets:
        unmet = [t for t in targets if not t.met]
        shown = "; ".join(
            f"{t.name}, measured {t.measured:.3g} {t.unit}, limit {'>=' if t.at_least else '<='} "
            f"{t.limit:g} {t.unit}"
            for t in unmet
        )
        lines.append(
            f"- **Targets**: {len(targets) - len(unmet)} of {len(targets)} met"
            + (f"; not met: {shown}." if unmet else ".")
        )
    quick = " (a quick run)" if results.get("quick") else ""
    lines += [
        "",
        f"Measured {results['date']}{quick} on {results['machine']['summary']}; every table, "
        f"how it is measured and how to rerun it: [{TABLES_DOC.as_posix()}]"
        f"({TABLES_DOC.as_posix()}).",
    ]
    return "\n".join(lines) + "\n"


def _client_summary(figure: Any, *, tls: bool) -> str | None:
    """The client's line: triggers/s against the official SDKs and CPU per trigger, over TLS
    (the headline: Pusher's production traffic is TLS) or over plain HTTP."""

    def key(name: str) -> str:
        return cc.tls(name) if tls else name

    ours = figure(key(cc.OURS_64_KA), "rate")
    sdk = [figure(key(name), "rate") for name in (cc.SDK_PY_SEQ, cc.SDK_PY_THREADS)]
    vs_sdk = ratio(ours, max((s for s in sdk if s is not None), default=None))
    vs_node = ratio(ours, figure(key(cc.SDK_NODE), "rate"))
    cpu = figure(key(cc.OURS_64_KA), "cpu_ms")
    if vs_sdk is None or cpu is None:
        return None
    node = f" and {vs_node:.1f}x the official Node SDK's" if vs_node is not None else ""
    plain = figure(cc.OURS_64_KA, "cpu_ms")
    versus = f", {cpu / plain:.2f}x our own over plain HTTP" if tls and plain else ""
    title = "Client over TLS" if tls else "Client over plain HTTP"
    return (
        f"- **{title}**: {vs_sdk:.1f}x the official Python SDK's triggers/s{node}, at "
        f"{cpu:.3f} ms of CPU per trigger ({cc.IN_FLIGHT} in flight, keep-alive{versus})."
    )


def _tasks_summary(results: Mapping[str, Any]) -> str | None:
    """The tasks' line: the costliest new network task and authorizeChannel against trigger,
    and encryption's cost per event."""
    cases = results["cases"]
    shares = {
        form: share
        for form in sc.NEW_NETWORK_TASKS
        if (share := cpu_ratio(cases, sc.task_key(form))) is not None
    }
    if not shares:
        return None
    costliest = max(shares, key=lambda form: shares[form])
    parts = [
        f"the costliest new network task ({costliest}) at {shares[costliest]:.2f}x trigger's "
        "CPU per execution"
    ]
    authorize = cpu_ratio(cases, sc.TASK_AUTHORIZE)
    if authorize is not None:
        parts.append(f"authorizeChannel at {authorize:.2f}x")
    encryption = _medians(results, sc.ENCRYPTION, "cpu_ms")
    if encryption is not None:
        parts.append(f"encryption adds {encryption:.3f} ms per event")
    keyed = _medians(results, sc.TASK_KEYED, "cpu_ms")
    unique = _medians(results, sc.TASK_UNIQUE, "cpu_ms")
    if keyed is not None and unique:
        parts.append(f"an idempotencyKey at {keyed / unique:.2f}x its reference")
    return f"- **Tasks** (through `serve`): {', '.join(parts)}."


def refresh_readme(
    readme: Path, text: str, start_mark: str = START_MARK, end_mark: str = END_MARK
) -> bool:
    """Replace what stands between the markers; False if the document has no markers."""
    if not readme.exists():
        return False
    content = readme.read_text("utf-8")
    # Markers count only on lines of their own, so prose may name them.
    start, end = _line_at(content, start_mark), _line_at(content, end_mark)
    if start < 0 or end < start:
        return False
    updated = content[: start + len(start_mark)] + "\n" + text.rstrip() + "\n" + content[end:]
    if updated != content:
        readme.write_text(updated, "utf-8")
    return True


def _line_at(content: str, line: str) -> int:
    """Where `line` stands as a whole line of `content`, or -1."""
    found = re.search(f"^{re.escape(line)}$", content, re.MULTILINE)
    return found.start() if found else -1


def client_speed(results: Mapping[str, Any]) -> str:
    """The client's figures for its own page: triggers/s and CPU per trigger of ours and the
    official SDKs, and what ours (64 in flight, keep-alive) uses of each SDK's CPU per trigger
    over the same scheme."""
    cases = {case["key"]: case for case in results["cases"]}

    def cpu(key: str) -> float | None:
        value = cases.get(key, {}).get("medians", {}).get("cpu_ms")
        return None if value is None or math.isnan(value) else float(value)

    lines = [
        f"Measured {results['date']} on {results['machine']['summary']}:",
        "",
        "| Case | Triggers/s | CPU ms per trigger | Ours (64 in flight) uses |",
        "| --- | ---: | ---: | ---: |",
    ]
    for key in CLIENT_ROWS:
        case = cases.get(key)
        if case is None:
            continue
        medians = case["medians"]
        ours = cc.tls(cc.OURS_64_KA) if key.endswith(cc.TLS) else cc.OURS_64_KA
        share = ratio(cpu(ours), cpu(key)) if key.startswith("client.sdk") else None
        cells = [
            case["label"],
            _cell(medians, "rate", "{:,.0f}"),
            _cell(medians, "cpu_ms", "{:.3f}"),
            "-" if share is None else f"{share:.0%} of its CPU",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def refresh_docs(root: Path, tables: str, short: str, client: str | None = None) -> list[Path]:
    """The full `tables` into bench/README.md, the `short` summary into the README and the
    `client` figures into docs/python-client.md, each between its markers; the documents that
    have them."""
    places = [
        (TABLES_DOC, tables, START_MARK, END_MARK),
        (SUMMARY_DOC, short, SUMMARY_START_MARK, SUMMARY_END_MARK),
    ]
    if client is not None:
        places.append((CLIENT_DOC, client, CLIENT_START_MARK, CLIENT_END_MARK))
    return [
        root / doc
        for doc, text, start, end in places
        if refresh_readme(root / doc, text, start, end)
    ]


def chart(results: Mapping[str, Any], path: Path) -> None:
    """Bars of throughput, CPU per operation and latency for each case, one panel per figure."""
    # Loaded here so the table (and its tests) need no plotting library.
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    panels: list[tuple[str, str, str, list[Mapping[str, Any]]]] = []
    client = [c for c in results["cases"] if c["group"] == "client"]
    if client:
        panels.append(("Client: triggers/s (higher is better)", "rate", "{:,.0f}", client))
        panels.append(("Client: CPU ms per trigger (lower is better)", "cpu_ms", "{:.3f}", client))
    service = [c for c in results["cases"] if c["group"] == "service"]
    if service:
        measured = [c for c in service if not math.isnan(c["medians"].get("rate", math.nan))]
        panels.append(("Service: executions/s", "rate", "{:,.0f}", measured))
        panels.append(("Service: CPU ms per execution", "cpu_ms", "{:.3f}", service))
        paced = [c for c in service if not math.isnan(c["medians"].get("offered", math.nan))]
        if paced:
            title = "Service: latency at a fixed offered rate, p50 ms (p99 in brackets)"
            panels.append((title, "p50_ms", "{:.2f}", paced))
    tasks = [c for c in results["cases"] if c["group"] == "tasks"]
    if tasks:
        panels.append(("Tasks through serve: CPU ms per execution", "cpu_ms", "{:.3f}", tasks))
    hooks = [c for c in results["cases"] if c["group"] == "webhooks"]
    if hooks:
        panels.append(("Webhooks to events: CPU ms per event", "cpu_ms", "{:.3f}", hooks))
    if not panels:
        return
    height = sum(0.9 + 0.32 * len(rows) for *_, rows in panels)
    figure, axes = plt.subplots(len(panels), 1, figsize=(10, max(3.0, height)), squeeze=False)
    for axis, (title, key, form, rows) in zip(axes[:, 0], panels, strict=True):
        values = [row["medians"].get(key, math.nan) for row in rows]
        bars = axis.barh(
            range(len(rows)),
            [0 if math.isnan(v) else v for v in values],
            color=[_color(row["key"]) for row in rows],
        )
        axis.set_yticks(range(len(rows)), [row["label"] for row in rows], fontsize=8)
        axis.invert_yaxis()
        axis.set_title(title, fontsize=10, loc="left")
        axis.tick_params(axis="x", labelsize=8)
        for bar, value, row in zip(bars, values, rows, strict=True):
            if math.isnan(value):
                continue
            text = " " + form.format(value)
            p99 = row["medians"].get("p99_ms", math.nan)
            if key == "p50_ms" and not math.isnan(p99):
                text += f" ({p99:.1f})"
            middle = bar.get_y() + bar.get_height() / 2
            axis.text(bar.get_width(), middle, text, va="center", fontsize=7)
        axis.margins(x=0.15)
    figure.suptitle(
        f"mesg-pusher benchmarks, {results['date']}, {results['machine']['summary']}", fontsize=9
    )
    figure.tight_layout(rect=(0, 0, 1, 0.985))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _color(key: str) -> str:
    if key.startswith(("service.overhead", "service.machinery")) or key in (
        sc.ENCRYPTION,
        sc.IDEMPOTENCY,
    ):
        return "#1b4f7a"
    if ".floor." in key or "ceiling" in key or key in (sc.WEBHOOK_EMIT_SAT, sc.PUBLISHING_SAT):
        return "#9a9a9a"
    if ".ours." in key or key.startswith(("service.serve", "tasks.", "webhooks.")):
        return "#2b7bba"
    return "#e08a3c"
