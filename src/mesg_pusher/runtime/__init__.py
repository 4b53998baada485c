"""``mesg-pusher serve``: the service under the MESG engine, every release (v0.1 to v0.26).

A pure core (configuration, backoff schedule, admission, outcomes, labels that keep secrets
out of the log, duplicate bookkeeping, answers, fault verdicts, the plan of a stop) and the parts
`Service` composes (see ``_serve.py``): the link to the engine, the executions, the submission
and the ledger. `Service` is imported on first use, so commands other than ``serve`` do not load
gRPC.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .._backoff import Backoff, backoff_delay
from ._admission import Admission, Decision
from ._cli import add_commands
from ._config import DEPLOYED_VARIABLES, SETTINGS, ConfigError, ServeConfig, grpc_target, resolve
from ._stopping import StopPlan, stop_plan
from ._verdicts import EmitVerdict, SubmitVerdict, emit_verdict, listen_refusal, submit_verdict

if TYPE_CHECKING:
    from ._engine_link import ServiceFailed
    from ._serve import Service
    from ._stats import Stats

# Loaded on first use, so that commands other than serve do not load gRPC: it adds 50 ms to
# every command's start (0.17 s to 0.22 s measured here), and it reads GRPC_VERBOSITY when it
# loads, which serve sets first (``_cli.py``).
_LAZY = {"Service": "_serve", "ServiceFailed": "_engine_link", "Stats": "_stats"}

__all__ = [
    "DEPLOYED_VARIABLES",
    "SETTINGS",
    "Admission",
    "Backoff",
    "ConfigError",
    "Decision",
    "EmitVerdict",
    "ServeConfig",
    "Service",
    "ServiceFailed",
    "Stats",
    "StopPlan",
    "SubmitVerdict",
    "add_commands",
    "backoff_delay",
    "emit_verdict",
    "grpc_target",
    "listen_refusal",
    "resolve",
    "stop_plan",
    "submit_verdict",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is not None:
        return getattr(import_module(f"{__name__}.{module}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
