"""How an execution ends for the service: one `ExecutionOutcome` each, and what each outcome
means as plain data (`EFFECTS`): the counter it adds to, the level of its log line, and whether
the engine took an answer for it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Final


class ExecutionOutcome(Enum):
    """The end of one execution; the value is the log line's ``outcome``."""

    SUCCEEDED = "success"  # the success output, taken by the engine
    FAILED = "error"  # an error output, taken by the engine
    OVERLOADED = "overloaded"  # refused at once, every slot and queue place taken
    STOPPED = "stopped"  # stopped or never started by the end of the grace period
    DROPPED = "dropped"  # the engine had no such execution in progress
    REFUSED = "refused"  # the engine refused even the error output
    UNSENT = "unsent"  # the answer never reached the engine
    DUPLICATE = "duplicate"  # delivered again while running or lately answered: not run again


@dataclass(frozen=True, slots=True)
class Effect:
    counter: str  # the `Stats` field it counts in
    level: int  # the level of the execution's log line
    answered: bool  # the engine took an answer for it


EFFECTS: Final[Mapping[ExecutionOutcome, Effect]] = MappingProxyType(
    {
        ExecutionOutcome.SUCCEEDED: Effect("succeeded", logging.INFO, answered=True),
        ExecutionOutcome.FAILED: Effect("failed", logging.INFO, answered=True),
        ExecutionOutcome.OVERLOADED: Effect("overloaded", logging.WARNING, answered=True),
        ExecutionOutcome.STOPPED: Effect("stopped", logging.WARNING, answered=True),
        ExecutionOutcome.DROPPED: Effect("dropped", logging.WARNING, answered=False),
        ExecutionOutcome.REFUSED: Effect("refused", logging.ERROR, answered=False),
        ExecutionOutcome.UNSENT: Effect("unsent", logging.ERROR, answered=False),
        ExecutionOutcome.DUPLICATE: Effect("duplicates", logging.WARNING, answered=False),
    }
)
