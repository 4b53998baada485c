"""Cache channels, pure and clocked by the test: which channels are cache channels, the last
event kept per channel for the TTL, and the bound on how many are kept."""

from __future__ import annotations

import pytest

from mesg_pusher.local_server._cache import (
    CACHE_PREFIXES,
    MAX_CACHED_CHANNELS,
    CachedEvent,
    ChannelCache,
    is_cache_channel,
)

TTL = 1800.0


@pytest.mark.parametrize(
    ("channel", "cached"),
    [
        ("cache-prices", True),
        ("private-cache-prices", True),
        ("private-encrypted-cache-prices", True),
        ("presence-cache-room", True),
        ("prices", False),
        ("private-prices", False),
        ("presence-room", False),
        ("private-encrypted-prices", False),
        ("my-cache-prices", False),  # the prefix, not a word inside the name
        ("#server-to-user-cache-1", False),
    ],
)
def test_cache_channels_are_named_by_prefix(channel: str, cached: bool) -> None:
    assert is_cache_channel(channel) is cached


def test_the_prefixes_are_pushers_four() -> None:
    assert CACHE_PREFIXES == (
        "cache-",
        "private-cache-",
        "private-encrypted-cache-",
        "presence-cache-",
    )


def test_the_last_event_is_kept_until_the_ttl_is_over() -> None:
    cache = ChannelCache(TTL)
    assert cache.get("cache-prices", now=0.0) is None
    cache.put("cache-prices", "tick", '{"p":1}', now=100.0)
    cache.put("cache-prices", "tock", '{"p":2}', now=200.0)
    assert cache.get("cache-prices", now=201.0) == CachedEvent("tock", '{"p":2}', 200.0 + TTL)
    assert cache.get("cache-prices", now=200.0 + TTL - 0.001) is not None
    assert cache.get("cache-prices", now=200.0 + TTL) is None
    assert len(cache) == 0


def test_other_channels_are_not_kept() -> None:
    cache = ChannelCache(TTL)
    cache.put("prices", "tick", "{}", now=0.0)
    cache.put("private-prices", "tick", "{}", now=0.0)
    assert (cache.get("prices", now=1.0), len(cache)) == (None, 0)


def test_channels_expire_on_their_own_and_a_new_event_restarts_the_ttl() -> None:
    cache = ChannelCache(10.0)
    cache.put("cache-a", "e", "1", now=0.0)
    cache.put("cache-b", "e", "2", now=5.0)
    cache.put("cache-a", "e", "3", now=8.0)  # a again: now the younger of the two
    assert cache.get("cache-b", now=14.0) is not None
    assert cache.get("cache-b", now=15.0) is None
    cached = cache.get("cache-a", now=15.0)
    assert cached is not None
    assert cached.data == "3"


def test_ttl_is_whole_seconds_left_rounded_up() -> None:
    event = CachedEvent("tick", "{}", expires=1800.0)
    assert event.ttl(0.0) == 1800
    assert event.ttl(0.5) == 1800
    assert event.ttl(1799.9) == 1
    assert event.answer(1740.0) == {"data": "{}", "ttl": 60}


def test_past_the_bound_the_oldest_channel_is_forgotten_first() -> None:
    cache = ChannelCache(TTL, max_channels=3)
    for index in range(3):
        cache.put(f"cache-{index}", "e", str(index), now=float(index))
    cache.put("cache-0", "e", "again", now=3.0)  # refreshed: now the youngest
    cache.put("cache-3", "e", "3", now=4.0)
    assert len(cache) == 3
    assert cache.get("cache-1", now=5.0) is None
    assert [cache.get(f"cache-{i}", now=5.0) is not None for i in (0, 2, 3)] == [True] * 3


def test_the_default_bound_is_a_named_limit() -> None:
    assert ChannelCache(TTL).max_channels == MAX_CACHED_CHANNELS


def test_an_expired_event_is_never_given_even_when_the_clock_was_set_back() -> None:
    cache = ChannelCache(ttl=1800)
    cache.put("cache-a", "e", "{}", now=1000.0)
    cache.put("cache-b", "e", "{}", now=900.0)  # the wall clock stepped back
    assert cache.get("cache-b", now=2750.0) is None  # expired at 2700
    assert cache.get("cache-a", now=2750.0) is not None  # until 2800
