"""A stop's one budget: reading on, finishing, answering and exiting all within the grace
period counted from the signal."""

from __future__ import annotations

import pytest

from mesg_pusher.runtime import StopPlan, stop_plan
from mesg_pusher.runtime._stopping import DRAIN_MAX, FINAL_WINDOW


def test_the_default_grace_period_ends_the_stop_well_before_dockers_10_s() -> None:
    # Reading on takes at most 2 s of the 8, and the last 1.5 s are for the answers.
    assert stop_plan(8.0) == StopPlan(drain_until=2.0, stop_at=6.5, exit_at=8.0)


@pytest.mark.parametrize(
    ("grace", "plan"),
    [
        (0.0, StopPlan(0.0, 0.0, 0.0)),
        (1.0, StopPlan(0.5, 0.5, 1.0)),
        (3.0, StopPlan(1.5, 1.5, 3.0)),
        (60.0, StopPlan(2.0, 58.5, 60.0)),
    ],
)
def test_short_grace_periods_keep_half_for_the_answers(grace: float, plan: StopPlan) -> None:
    assert stop_plan(grace) == plan


@pytest.mark.parametrize("grace", [0.0, 0.01, 0.3, 1.0, 2.9, 3.0, 3.5, 7.9, 8.0, 10.0, 86400.0])
def test_every_step_ends_within_the_grace_period(grace: float) -> None:
    plan = stop_plan(grace)
    assert 0 <= plan.drain_until <= plan.stop_at <= plan.exit_at == grace
    assert plan.drain_until <= DRAIN_MAX
    assert plan.exit_at - plan.stop_at <= FINAL_WINDOW


def test_a_negative_grace_period_is_refused() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        stop_plan(-1.0)


def test_on_the_chain_generations_the_final_window_waits_for_a_block() -> None:
    # G4 and G5 by default: 8 s and two 5 s blocks; the answers to executions stopped short
    # still need their block.
    assert stop_plan(18.0, 5.0) == StopPlan(drain_until=2.0, stop_at=11.5, exit_at=18.0)
    assert stop_plan(18.0, None) == stop_plan(18.0)
    plan = stop_plan(10.0, 1.0)
    assert plan.exit_at - plan.stop_at == FINAL_WINDOW + 1.0
