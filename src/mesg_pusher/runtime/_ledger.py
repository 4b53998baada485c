"""What the service counts and the one log line each execution leaves.

`Ledger.settle` is where an execution's outcome is counted (in `Stats`, through the outcome table
`EFFECTS`, and in the metrics by task, with its duration) and its line written: the execution
and its task by their labels, never their raw text (see ``_labels.py``), the outcome, the time
from its arrival, and the error or reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol

from ._labels import CUT, DETAILS_CHARS
from ._outcomes import EFFECTS, Outcome

if TYPE_CHECKING:
    from ._executions import Execution

log = logging.getLogger("mesg_pusher.runtime")

#: The counters of outcomes that mean the engine took an answer.
_ANSWERED: Final = tuple(effect.counter for effect in EFFECTS.values() if effect.answered)
_OUTCOME_COUNTERS: Final = tuple(effect.counter for effect in EFFECTS.values())


@dataclass
class Stats:
    """Counts since start; every received execution ends in exactly one outcome counter."""

    received: int = 0
    succeeded: int = 0
    failed: int = 0
    overloaded: int = 0
    stopped: int = 0
    dropped: int = 0
    refused: int = 0
    unsent: int = 0
    duplicates: int = 0  # delivered again: not run again, answered by the first delivery
    undecodable: int = 0  # task messages skipped: unreadable, and naming no execution
    connections: int = 0
    retried: int = 0  # SubmitResult attempts made again after a failure

    @property
    def answered(self) -> int:
        """Executions whose result the engine took."""
        return sum(getattr(self, counter) for counter in _ANSWERED)

    @property
    def settled(self) -> int:
        """Executions with an outcome; equals `received` once the service has stopped."""
        return sum(getattr(self, counter) for counter in _OUTCOME_COUNTERS)


class Counter(Protocol):
    """Where an execution's outcome is counted by task, with its duration (`Metrics`)."""

    def execution(self, task_key: str, outcome: str, seconds: float) -> None: ...


class Ledger:
    """Counts outcomes in `stats` (and in `metrics`) and writes the executions' lines."""

    def __init__(self, stats: Stats, metrics: Counter | None = None) -> None:
        self.stats = stats
        self.metrics = metrics

    def settle(
        self,
        execution: Execution,
        outcome: Outcome,
        duration: float,
        *,
        error: Any = None,
        reason: str | None = None,
    ) -> None:
        """Count `outcome` and write the execution's one line: `error` is the error output's
        message, `reason` why the engine did not take an answer."""
        effect = EFFECTS[outcome]
        stats = self.stats
        setattr(stats, effect.counter, getattr(stats, effect.counter) + 1)
        if self.metrics is not None:
            self.metrics.execution(execution.task_key, outcome.value, duration)
        if not log.isEnabledFor(effect.level):
            return
        line: dict[str, Any] = {
            "execution_id": execution.label,
            "task": execution.task_label,
            "outcome": outcome.value,
            "duration_ms": round(duration * 1000, 1),
        }
        if error is not None:
            line["error"] = _cut(str(error))
        if reason is not None:
            line["reason"] = _cut(reason)
        # Made and handled directly: the caller's file and line are never shown, and looking
        # them up is a good part of a line's cost.
        extra = {"fields": line}
        log.handle(
            log.makeRecord(log.name, effect.level, "", 0, "execution", (), None, extra=extra)
        )


def _cut(text: str) -> str:
    return text if len(text) <= DETAILS_CHARS else text[:DETAILS_CHARS] + CUT
