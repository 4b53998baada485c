"""Which executions the service has in hand or answered lately, so that one delivered twice is
not run (nor published) twice.

An id of v0.1-v0.3 holds the inputs and can be as long as they are, so a long id is kept as a
16-byte digest; a short one (the 40-hex ids of v0.4 on) is kept as it is, with no hashing. An
execution counts as in hand from its arrival to its outcome, then as answered for
`RECENT_SECONDS` or until `RECENT_COUNT` later ones have taken its place, whichever comes first:
memory stays bounded (about 200 bytes an id), and the same id after that is run again. Pure
bookkeeping; the clock is passed in.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Final

RECENT_COUNT: Final = 20_000
RECENT_SECONDS: Final = 600.0


#: Ids up to this long are kept as they are.
SHORT_ID: Final = 64
Key = str | bytes


def id_key(execution_id: str) -> Key:
    """What the bookkeeping keeps of an id (a str and a digest never compare equal)."""
    if len(execution_id) <= SHORT_ID:
        return execution_id
    data = execution_id.encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).digest()


class Deliveries:
    """Executions in hand, and those answered lately (`count` at most, for `seconds`)."""

    def __init__(self, *, count: int = RECENT_COUNT, seconds: float = RECENT_SECONDS) -> None:
        if count < 0 or seconds < 0:
            raise ValueError("count and seconds: 0 or more")
        self.count = count
        self.seconds = seconds
        self._in_hand: set[Key] = set()
        self._answered: OrderedDict[Key, float] = OrderedDict()  # oldest first

    def arrive(self, key: Key, now: float) -> bool:
        """True for a new execution (now in hand); False for one in hand or answered lately."""
        if key in self._in_hand:
            return False
        answered = self._answered.get(key)
        if answered is not None and now - answered <= self.seconds:
            return False
        self._in_hand.add(key)
        return True

    def done(self, key: Key, now: float) -> None:
        """The execution of `key` has its outcome: remember it as answered at `now`."""
        self._in_hand.discard(key)
        answered = self._answered
        answered[key] = now
        answered.move_to_end(key)
        while answered and (
            len(answered) > self.count or now - next(iter(answered.values())) > self.seconds
        ):
            answered.popitem(last=False)

    @property
    def in_hand(self) -> int:
        return len(self._in_hand)

    @property
    def remembered(self) -> int:
        return len(self._answered)
