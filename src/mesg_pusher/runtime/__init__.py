"""``mesg-pusher serve``: the service under the MESG engine (v0.1 to v0.9 generation).

A pure core (configuration, backoff schedule, admission of executions, output checks, fault
verdicts, the plan of a stop) and one gRPC edge, `Service` (see ``_service.py`` for the theory
of operation). `Service` is imported on first use, so commands other than ``serve`` do not load
gRPC.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._admission import Admission, Decision
from ._backoff import Backoff, backoff_delay
from ._cli import add_commands
from ._config import SETTINGS, ConfigError, ServeConfig, grpc_target, resolve
from ._faults import SubmitVerdict, listen_refusal, submit_verdict
from ._stopping import StopPlan, stop_plan

if TYPE_CHECKING:
    from ._service import Service, ServiceFailed, Stats

_LAZY = frozenset({"Service", "ServiceFailed", "Stats"})

__all__ = [
    "SETTINGS",
    "Admission",
    "Backoff",
    "ConfigError",
    "Decision",
    "ServeConfig",
    "Service",
    "ServiceFailed",
    "Stats",
    "StopPlan",
    "SubmitVerdict",
    "add_commands",
    "backoff_delay",
    "grpc_target",
    "listen_refusal",
    "resolve",
    "stop_plan",
    "submit_verdict",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import _service  # noqa: PLC0415 - gRPC loads only when serving

        return getattr(_service, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
