"""The service's parts: executions through the engine stand-in (``service``), every task's
form through serve (``tasks``), webhooks becoming events (``webhooks``), and serve's footprint.

At saturation the stand-in originates the executions itself (``_drivers.Origin``), so that the
service, not the load, is the bound; at a fixed rate an application drives them through
``mesg-pusher engine`` (``_drivers.Application``), so that latency is what an application sees.
Derived rows (`OVERHEADS`) are one case's CPU per execution minus another's, round by round:
serve's overhead over the null service, and what encryption adds to a trigger.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._drivers import BATCH_EVENTS
from ._runner import Case
from ._stats import metrics

SATURATION_IN_FLIGHT = 128
RATE = 200
FOOTPRINT_IN_FLIGHT = 1000

CEILING_SAT = "service.ceiling.saturation"
PUBLISHING_SAT = "service.publishing.saturation"
SERVE_SAT = "service.serve.nginx.saturation"
#: The same over TLS (serve trusting the sink's test CA through SSL_CERT_FILE), and on uvloop.
SERVE_TLS_SAT = "service.serve.nginx-tls.saturation"
SERVE_UVLOOP_SAT = "service.serve.nginx.uvloop.saturation"
SERVE_TLS_UVLOOP_SAT = "service.serve.nginx-tls.uvloop.saturation"
LOCAL_SAT = "service.serve.local.saturation"
CEILING_RATE = f"service.ceiling.{RATE}"
SERVE_RATE = f"service.serve.nginx.{RATE}"
LOCAL_RATE = f"service.serve.local.{RATE}"
FOOTPRINT = "footprint.serve"
FOOTPRINT_NO_LISTENER = "footprint.serve.no-listener"
OVERHEAD_SAT = "service.overhead.saturation"
MACHINERY_SAT = "service.machinery.saturation"
OVERHEAD_RATE = f"service.overhead.{RATE}"

#: The task forms measured through serve (`_drivers.CASES`), in the table's order.
TASK_FORMS = (
    ("trigger", "trigger: one event to one channel"),
    (
        "trigger-unique",
        "trigger with an input of its own each time, ignored (the next row's reference)",
    ),
    ("trigger-keyed", "trigger with an idempotencyKey, a new one each time (store in process)"),
    ("trigger-encrypted", "trigger to a private-encrypted- channel (encrypted)"),
    ("triggerBatch", f"triggerBatch: {BATCH_EVENTS} events"),
    ("channels", "channels: filter_by_prefix presence-, info user_count"),
    ("channel", "channel: a presence channel, info user_count"),
    ("users", "users: a presence channel"),
    ("sendToUser", "sendToUser"),
    ("terminateUserConnections", "terminateUserConnections"),
    ("authorizeChannel", "authorizeChannel: a presence channel (no network)"),
    ("authenticateUser", "authenticateUser (no network)"),
)
#: The network tasks the API-tasks issue added, each to cost no more than trigger.
NEW_NETWORK_TASKS = ("channels", "channel", "users", "sendToUser", "terminateUserConnections")
ENCRYPTION = "tasks.encryption"
IDEMPOTENCY = "tasks.idempotency"


def task_key(form: str) -> str:
    return f"tasks.{form}"


TASK_TRIGGER = task_key("trigger")
#: trigger on a third-generation engine (v0.16: Structs, hashes as bytes), beside the first's.
G3_RELEASE = "v0.16"
TASK_TRIGGER_G3 = task_key("trigger-g3")
TASK_ENCRYPTED = task_key("trigger-encrypted")
TASK_KEYED = task_key("trigger-keyed")
TASK_UNIQUE = task_key("trigger-unique")
TASK_AUTHORIZE = task_key("authorizeChannel")

WEBHOOK_IN_FLIGHT = 64
WEBHOOK_RATE = 200
WEBHOOK_FLOOR_SAT = "webhooks.floor.saturation"
WEBHOOK_SERVE_SAT = "webhooks.serve.saturation"
WEBHOOK_FLOOR_RATE = f"webhooks.floor.{WEBHOOK_RATE}"
WEBHOOK_SERVE_RATE = f"webhooks.serve.{WEBHOOK_RATE}"
WEBHOOK_RECEIVER_SAT = "webhooks.receiver.saturation"
WEBHOOK_EMIT_SAT = "webhooks.emit.saturation"


#: Rows whose CPU is shown as a ratio to another's (the ratio column of their table).
CPU_REFERENCES = {
    **{task_key(form): TASK_TRIGGER for form, _ in TASK_FORMS},
    TASK_TRIGGER_G3: TASK_TRIGGER,
    WEBHOOK_SERVE_SAT: WEBHOOK_FLOOR_SAT,
    WEBHOOK_SERVE_RATE: WEBHOOK_FLOOR_RATE,
    WEBHOOK_RECEIVER_SAT: WEBHOOK_EMIT_SAT,
}


@dataclass(frozen=True)
class Overhead:
    """A derived row: `serve`'s figure minus `floor`'s, paired round by round."""

    key: str
    serve: str
    floor: str
    label: str
    group: str = "service"


OVERHEADS = (
    Overhead(OVERHEAD_SAT, SERVE_SAT, CEILING_SAT,
             "serve's overhead: serve -> nginx minus the null service, saturation"),
    Overhead(MACHINERY_SAT, SERVE_SAT, PUBLISHING_SAT,
             "serve's own part: serve -> nginx minus the publishing floor, saturation"),
    Overhead(OVERHEAD_RATE, SERVE_RATE, CEILING_RATE,
             f"serve's overhead: serve -> nginx minus the null service, {RATE}/s offered"),
    Overhead(ENCRYPTION, TASK_ENCRYPTED, TASK_TRIGGER,
             "encryption's cost per event: the encrypted trigger minus trigger", "tasks"),
    Overhead(IDEMPOTENCY, TASK_KEYED, TASK_UNIQUE,
             "the idempotency check's cost: the keyed trigger minus its reference", "tasks"),
)  # fmt: skip

_TARGETS = {
    "none": "null service (the floor)",
    "publish": "publishing floor: the null service posting a pre-signed request first",
    "nginx": "serve -> nginx sink",
    "local": "serve -> local Pusher server",
}


def service_cases(
    *, count: int, seconds: float, rate_seconds: float, warmup: int, local: bool
) -> list[Case]:
    """`rate_seconds` is longer than `seconds`: a p99 needs many executions at a low rate."""

    def case(key: str, target: str, rate: int, *, tls: bool = False, loop: str = "") -> Case:
        load = (
            f"{rate}/s offered by an application"
            if rate
            else f"saturation ({SATURATION_IN_FLIGHT} in flight, from the stand-in)"
        )
        span = rate_seconds if rate else seconds
        argv: tuple[str, ...] = (
            "{python}", "-m", "bench._service", "--port", "{port}", "--target", target,
            "--count", str(count), "--seconds", str(span), "--warmup", str(warmup),
            "--concurrency", str(SATURATION_IN_FLIGHT), "--rate", str(rate),
            "--driver", "app" if rate else "standin",
        )  # fmt: skip
        label = _TARGETS[target]
        if tls:
            argv += ("--scheme", "https", "--tls-port", "{tls_port}", "--ca", "{ca}")
            label += " over TLS"
        if loop:
            argv += ("--loop", loop)
            label += f", serve on {loop}"
        return Case(key, "service", f"{label}, {load}", argv, 60 + 3 * span)

    found = [
        case(CEILING_SAT, "none", 0),
        case(PUBLISHING_SAT, "publish", 0),
        case(SERVE_SAT, "nginx", 0),
        case(SERVE_TLS_SAT, "nginx", 0, tls=True),
        case(SERVE_UVLOOP_SAT, "nginx", 0, loop="uvloop"),
        case(SERVE_TLS_UVLOOP_SAT, "nginx", 0, tls=True, loop="uvloop"),
        case(CEILING_RATE, "none", RATE),
        case(SERVE_RATE, "nginx", RATE),
    ]
    if local:
        found += [case(LOCAL_SAT, "local", 0), case(LOCAL_RATE, "local", RATE)]
    return found


def task_cases(*, count: int, seconds: float, warmup: int) -> list[Case]:
    """Every task form of `TASK_FORMS` through serve to the nginx sink, at saturation, driven
    by the stand-in."""
    argv = (
        "{python}", "-m", "bench._service", "--port", "{port}", "--target", "nginx",
        "--count", str(count), "--seconds", str(seconds), "--warmup", str(warmup),
        "--concurrency", str(SATURATION_IN_FLIGHT), "--rate", "0", "--driver", "standin",
    )  # fmt: skip
    cases = [
        Case(task_key(form), "tasks", label, (*argv, "--inputs", form), 60 + 3 * seconds)
        for form, label in TASK_FORMS
    ]
    g3 = (*argv, "--inputs", "trigger", "--engine", G3_RELEASE)
    label = f"trigger on engine {G3_RELEASE} (G3: Structs, hashes as bytes) instead of v0.2 (G1)"
    return [*cases, Case(TASK_TRIGGER_G3, "tasks", label, g3, 60 + 3 * seconds)]


def webhook_cases(*, count: int, seconds: float, rate_seconds: float, warmup: int) -> list[Case]:
    """Webhooks through serve's listener and through the bare aiohttp handler, at saturation
    and at `WEBHOOK_RATE`/s; and serve's webhook path in process, beside the ``EmitEvent``
    calls alone."""
    load = {
        0: f"saturation ({WEBHOOK_IN_FLIGHT} in flight)",
        WEBHOOK_RATE: f"{WEBHOOK_RATE} webhooks/s offered",
    }
    forms = (
        (WEBHOOK_FLOOR_SAT, "floor", 0, "floor: a bare aiohttp handler making the EmitEvent call"),
        (WEBHOOK_SERVE_SAT, "serve", 0, "serve: POST /webhooks"),
        (WEBHOOK_FLOOR_RATE, "floor", WEBHOOK_RATE, "floor: a bare aiohttp handler"),
        (WEBHOOK_SERVE_RATE, "serve", WEBHOOK_RATE, "serve: POST /webhooks"),
        (WEBHOOK_EMIT_SAT, "emit", 0, "in process: the EmitEvent calls alone"),
        (WEBHOOK_RECEIVER_SAT, "receiver", 0, "in process: serve's receiver, without HTTP"),
    )
    cases = []
    for key, target, rate, label in forms:
        span = rate_seconds if rate else seconds
        argv = (
            "{python}", "-m", "bench._webhooks", "--target", target, "--rate", str(rate),
            "--count", str(count), "--seconds", str(span), "--warmup", str(warmup),
            "--concurrency", str(WEBHOOK_IN_FLIGHT),
        )  # fmt: skip
        cases.append(Case(key, "webhooks", f"{label}, {load[rate]}", argv, 60 + 3 * span))
    return cases


def footprint_cases(*, seconds: float) -> list[Case]:
    argv = (
        "{python}", "-m", "bench._footprint", "--port", "{port}",
        "--count", str(FOOTPRINT_IN_FLIGHT), "--seconds", str(seconds),
    )  # fmt: skip
    label = f"serve, {FOOTPRINT_IN_FLIGHT:,} executions in flight"
    return [
        Case(FOOTPRINT, "footprint", f"{label} (its HTTP listener on, the default)", argv, 120),
        Case(
            FOOTPRINT_NO_LISTENER,
            "footprint",
            f"{label}, --webhook-listen off",
            (*argv, "--listener", "off"),
            120,
        ),
    ]


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
                "group": overhead.group,
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
