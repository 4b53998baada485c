"""Parts 2 and 3, the service: executions through the engine stand-in, and serve's footprint."""

from __future__ import annotations

from ._runner import Case

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

_TARGETS = {
    "none": "engine stand-in ceiling (null service)",
    "nginx": "serve -> nginx sink",
    "local": "serve -> local Pusher server",
}


def service_cases(
    *, count: int, seconds: float, rate_seconds: float, warmup: int, local: bool
) -> list[Case]:
    """`rate_seconds` is longer than `seconds`: a p99 needs many executions at a low rate."""

    def case(key: str, target: str, rate: int) -> Case:
        load = f"{rate}/s offered" if rate else f"saturation ({SATURATION_IN_FLIGHT} in flight)"
        span = rate_seconds if rate else seconds
        argv = (
            "{python}", "-m", "bench._service", "--port", "{port}", "--target", target,
            "--count", str(count), "--seconds", str(span), "--warmup", str(warmup),
            "--concurrency", str(SATURATION_IN_FLIGHT), "--rate", str(rate),
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
