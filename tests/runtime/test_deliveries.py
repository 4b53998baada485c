"""Duplicate deliveries: an id in hand or lately answered is not taken again; memory bounded."""

from __future__ import annotations

from mesg_pusher.runtime._deliveries import Deliveries, id_key


def test_an_id_in_hand_or_lately_answered_is_a_duplicate() -> None:
    deliveries = Deliveries(count=10, seconds=60)
    key = id_key("a")
    assert deliveries.arrive(key, 0.0)
    assert not deliveries.arrive(key, 1.0)  # in hand
    deliveries.done(key, 2.0)
    assert not deliveries.arrive(key, 50.0)  # answered 48 s ago
    assert deliveries.arrive(key, 62.5)  # long enough ago: a new execution
    assert deliveries.in_hand == 1


def test_memory_is_bounded_in_count_and_time() -> None:
    deliveries = Deliveries(count=3, seconds=60)
    for number in range(5):
        key = id_key(str(number))
        assert deliveries.arrive(key, float(number))
        deliveries.done(key, float(number))
    assert deliveries.remembered == 3
    assert deliveries.arrive(id_key("0"), 10.0)  # forgotten: beyond the count
    assert not deliveries.arrive(id_key("4"), 10.0)
    deliveries.done(id_key("0"), 100.0)  # the others are older than 60 s by now
    assert deliveries.remembered == 1
    assert deliveries.in_hand == 0


def test_keys_are_short_whatever_the_id_holds() -> None:
    assert len(id_key("x" * 1_000_000)) == 16
    assert id_key("a\ud800") != id_key("a")  # a lone surrogate is still an id
