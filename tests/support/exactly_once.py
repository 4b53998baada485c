"""The exactly-once checker for webhooks: every event of every body sent is emitted at least
once, and more than once only where the engine's answer to it was lost or late, twice at most."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping


def check_emitted(
    expected: Iterable[str], emitted: Iterable[str], unanswered: Mapping[str, int] | None = None
) -> Counter[str]:
    """`expected` names every event sent (once each), `emitted` every event the engine took;
    `unanswered` counts, by event, the sends the engine took whose answer never came back.
    Returns how often each was emitted."""
    wanted = list(expected)
    assert len(set(wanted)) == len(wanted), "name each event once"
    counts = Counter(emitted)
    missing = [name for name in wanted if counts[name] == 0]
    assert not missing, f"never emitted: {missing}"
    strangers = set(counts) - set(wanted)
    assert not strangers, f"emitted but never sent: {sorted(strangers)}"
    lost = unanswered or {}
    doubled = {
        name: count for name, count in counts.items() if count > min(2, 1 + lost.get(name, 0))
    }
    assert not doubled, f"emitted more often than their lost answers allow: {doubled}"
    return counts
