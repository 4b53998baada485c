"""Every outcome is counted in one field of Stats, at its log level, in one line."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from mesg_pusher.mesg import load_packaged
from mesg_pusher.runtime import Stats
from mesg_pusher.runtime._execution import ExecutionInHand, Naming
from mesg_pusher.runtime._ledger import Ledger
from mesg_pusher.runtime._outcomes import EFFECTS, ExecutionOutcome
from mesg_pusher.tasks._secret_inputs import secrets_of

DEFINITION = load_packaged()
NAMING = Naming(DEFINITION.name, DEFINITION.tasks, secrets_of)


def test_the_table_covers_every_outcome_with_a_counter_of_its_own() -> None:
    assert set(EFFECTS) == set(ExecutionOutcome)
    counters = [effect.counter for effect in EFFECTS.values()]
    assert len(set(counters)) == len(counters)
    assert set(counters) <= {field.name for field in dataclasses.fields(Stats)}


@pytest.mark.parametrize("outcome", list(ExecutionOutcome))
def test_settling_counts_once_and_writes_one_line(
    outcome: ExecutionOutcome, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="mesg_pusher.runtime")
    stats = Stats(received=1)
    execution = ExecutionInHand("a" * 40, "trigger", "{}", 2, 0.0, naming=NAMING)
    Ledger(stats).settle(execution, outcome, 0.0123, error="e", reason="r")
    assert stats.settled == stats.received == 1
    assert stats.answered == (1 if EFFECTS[outcome].answered else 0)
    [record] = caplog.records
    assert record.levelno == EFFECTS[outcome].level
    assert record.fields == {  # type: ignore[attr-defined]
        "execution_id": "a" * 40,
        "task": "trigger",
        "outcome": outcome.value,
        "duration_ms": 12.3,
        "error": "e",
        "reason": "r",
    }
