"""The one log line each execution leaves, written where its outcome is counted.

`Ledger.settle` counts an execution's outcome once (in `Stats`, by task, with its duration) and
writes its line: the execution and its task by their labels, never their raw text (see
``_labels.py``), the outcome, the time from its arrival, and the error or reason.
"""

from __future__ import annotations

import logging
from typing import Any

from .._text import cut
from ._execution import ExecutionInHand
from ._labels import DETAILS_CHARS
from ._outcomes import EFFECTS, ExecutionOutcome
from ._stats import Stats

log = logging.getLogger("mesg_pusher.runtime")


class Ledger:
    """Counts outcomes in `stats` and writes the executions' lines."""

    def __init__(self, stats: Stats) -> None:
        self.stats = stats

    def settle(
        self,
        execution: ExecutionInHand,
        outcome: ExecutionOutcome,
        duration: float,
        *,
        error: Any = None,
        reason: str | None = None,
    ) -> None:
        """Count `outcome` and write the execution's one line: `error` is the error output's
        message, `reason` why the engine did not take an answer."""
        self.stats.settle(execution.task_key, outcome, duration)
        effect = EFFECTS[outcome]
        if not log.isEnabledFor(effect.level):
            return
        line: dict[str, Any] = {
            "execution_id": execution.label,
            "task": execution.task_label,
            "outcome": outcome.value,
            "duration_ms": round(duration * 1000, 1),
        }
        if error is not None:
            line["error"] = cut(str(error), DETAILS_CHARS)
        if reason is not None:
            line["reason"] = cut(reason, DETAILS_CHARS)
        log.log(effect.level, "execution", extra={"fields": line})
