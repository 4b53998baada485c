"""Admission: run, wait in order, or be refused at once; never more than the bounds."""

from __future__ import annotations

import pytest

from mesg_pusher.runtime import Admission, Decision


def test_slots_then_queue_then_refusal() -> None:
    admission: Admission[str] = Admission(max_in_flight=2, queue_size=2, max_bytes=1000)
    decisions = [admission.offer(name) for name in "abcdef"]
    assert decisions == [Decision.RUN] * 2 + [Decision.QUEUE] * 2 + [Decision.REFUSE] * 2
    assert (admission.running, admission.waiting) == (2, 2)


def test_a_freed_slot_goes_to_the_oldest_waiting_item() -> None:
    admission: Admission[str] = Admission(max_in_flight=1, queue_size=5, max_bytes=1000)
    for name in "abc":
        admission.offer(name)
    assert [admission.finished(), admission.finished(), admission.finished()] == ["b", "c", None]
    assert admission.running == 0
    with pytest.raises(RuntimeError):
        admission.finished()


def test_running_and_waiting_share_one_byte_budget() -> None:
    admission: Admission[str] = Admission(max_in_flight=2, queue_size=10, max_bytes=100)
    assert admission.offer("a", 60) is Decision.RUN
    assert admission.offer("b", 60) is Decision.REFUSE  # a slot is free, but not the bytes
    assert admission.offer("c", 30) is Decision.RUN
    assert admission.offer("d", 10) is Decision.QUEUE
    assert admission.offer("e", 1) is Decision.REFUSE  # 101 bytes would exceed 100
    assert (admission.held_bytes, admission.waiting_bytes) == (100, 10)
    assert admission.finished(60) == "d"
    assert (admission.held_bytes, admission.waiting_bytes) == (40, 0)
    assert admission.finished(30) is None
    assert admission.finished(10) is None
    assert admission.held_bytes == 0


def test_an_item_above_the_budget_is_taken_when_nothing_else_is_held() -> None:
    admission: Admission[str] = Admission(max_in_flight=5, queue_size=5, max_bytes=100)
    assert admission.offer("huge", 10_000) is Decision.RUN
    assert admission.offer("small", 1) is Decision.REFUSE
    assert admission.finished(10_000) is None
    assert admission.offer("small", 1) is Decision.RUN


def test_take_waiting_empties_the_line() -> None:
    admission: Admission[str] = Admission(max_in_flight=1, queue_size=3, max_bytes=100)
    for name in "abc":
        admission.offer(name, 1)
    assert admission.take_waiting() == ["b", "c"]
    assert (admission.waiting, admission.waiting_bytes, admission.held_bytes) == (0, 0, 1)


def test_queue_size_zero_refuses_whenever_the_slots_are_full() -> None:
    admission: Admission[str] = Admission(max_in_flight=1, queue_size=0, max_bytes=100)
    assert [admission.offer("a"), admission.offer("b")] == [Decision.RUN, Decision.REFUSE]
