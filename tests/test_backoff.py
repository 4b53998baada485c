"""The retry schedule: exponential, capped, jittered within [ceiling/2, ceiling]."""

from __future__ import annotations

import pytest

from mesg_pusher._backoff import Backoff, backoff_delay


def test_delays_double_from_base_up_to_the_cap() -> None:
    highest = [backoff_delay(n, base=0.1, cap=2.0, draw=0.999999) for n in range(8)]
    assert highest == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0, 2.0], rel=1e-5)


def test_jitter_keeps_at_least_half_the_ceiling() -> None:
    assert backoff_delay(3, base=0.1, cap=10, draw=0.0) == pytest.approx(0.4)
    assert backoff_delay(3, base=0.1, cap=10, draw=0.5) == pytest.approx(0.6)


def test_huge_attempt_numbers_stay_at_the_cap() -> None:
    assert backoff_delay(10_000, base=0.1, cap=30, draw=1.0) == 30


def test_counter_counts_failures_and_resets() -> None:
    draws = iter([0.0, 0.0, 0.0, 0.0])
    backoff = Backoff(base=1, cap=8, draw=lambda: next(draws))
    assert [backoff.next_delay(), backoff.next_delay(), backoff.next_delay()] == [0.5, 1, 2]
    backoff.reset()
    assert backoff.next_delay() == 0.5


@pytest.mark.parametrize(("base", "cap"), [(0, 1), (2, 1), (-1, 1)])
def test_base_and_cap_are_checked(base: float, cap: float) -> None:
    with pytest.raises(ValueError, match="base"):
        Backoff(base=base, cap=cap)
