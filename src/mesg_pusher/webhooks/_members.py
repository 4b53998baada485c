"""What this service signed of presence members, so that ``member_added`` and ``member_removed``
can carry the member's ``user_info``: Pusher's webhooks give only the user id, and Pusher keeps
no ``user_info`` an API could return. The channel data a member joins with is signed by the
app's auth endpoint, here ``authorizeChannel``; it notes what it signed (`MemberMemory.note`),
and the receiver looks it up (`MemberMemory.user_info`) for the app, channel and user of each
member event.

Never guessed: a member this service did not sign for that channel (another replica signed it,
or it was signed more than `MEMBER_INFO_MS` ago, or forgotten to stay within the memory) has no
``user_info``; so has one signed without it. A member signed again is noted again: the latest
signature wins and its time starts over.

Pure, the clock passed in (milliseconds). Bounded by time and bytes: an entry is forgotten
`MEMBER_INFO_MS` after it was signed or, past `max_bytes`, oldest first. An entry costs
`MEMBER_ENTRY_BYTES` and the memory of its texts; what a member's ``user_info`` is returned as
is a fresh object each time, which no caller can change in the memory.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from .._json import dumps, loads
from ._limits import MAX_MEMBER_INFO_BYTES, MEMBER_ENTRY_BYTES, MEMBER_INFO_MS

_Who = tuple[str, str, str]  # app key, channel, user id


@dataclass(slots=True)
class _Noted:
    expires_ms: float
    info: str  # the user_info as compact JSON
    cost: int


class MemberMemory:
    """The ``user_info`` of the presence members signed lately, within `max_bytes` (0: none
    is remembered) and for `keep_ms` each."""

    def __init__(
        self, max_bytes: int = MAX_MEMBER_INFO_BYTES, *, keep_ms: float = MEMBER_INFO_MS
    ) -> None:
        if max_bytes < 0 or keep_ms <= 0:
            raise ValueError("max_bytes is 0 or more, keep_ms more than 0")
        self.max_bytes = max_bytes
        self.keep_ms = keep_ms
        self.held_bytes = 0
        self._noted: OrderedDict[_Who, _Noted] = OrderedDict()

    def __len__(self) -> int:
        return len(self._noted)

    def note(self, key: str, channel: str, channel_data: str, at_ms: float) -> None:
        """The app of `key` signed `channel_data` (the JSON text a presence authorization
        carries: ``user_id`` and, maybe, ``user_info``) for `channel` at `at_ms`."""
        try:
            data = loads(channel_data)
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        user = _user_id(data.get("user_id"))
        if user is None:
            return
        who = (key, channel, user)
        self._forget(who)
        info = data.get("user_info")
        if not isinstance(info, dict) or not self.max_bytes:
            return  # signed without user_info: nothing is known of it any more
        text = dumps(info)
        cost = MEMBER_ENTRY_BYTES + sum(sys.getsizeof(part) for part in (*who, text))
        if cost > self.max_bytes:
            return
        self._forget_expired(at_ms)
        while self.held_bytes + cost > self.max_bytes:
            _, oldest = self._noted.popitem(last=False)
            self.held_bytes -= oldest.cost
        self._noted[who] = _Noted(at_ms + self.keep_ms, text, cost)
        self.held_bytes += cost

    def user_info(
        self, key: str, channel: str, user_id: str, now_ms: float
    ) -> dict[str, Any] | None:
        """The ``user_info`` the app of `key` signed for `user_id` on `channel` within
        `keep_ms` of `now_ms` (a new object), or None when there is none."""
        noted = self._noted.get((key, channel, user_id))
        if noted is None or noted.expires_ms < now_ms:
            return None
        info: dict[str, Any] = loads(noted.info)
        return info

    def _forget(self, who: _Who) -> None:
        noted = self._noted.pop(who, None)
        if noted is not None:
            self.held_bytes -= noted.cost

    def _forget_expired(self, now_ms: float) -> None:
        # Entries are kept in the order they were noted: the oldest come first.
        while self._noted:
            first = next(iter(self._noted.values()))
            if first.expires_ms >= now_ms:
                return
            _, gone = self._noted.popitem(last=False)
            self.held_bytes -= gone.cost


def _user_id(value: Any) -> str | None:
    """A member's user id as Pusher's webhooks write it: a string, or a number's JSON text."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dumps(value)
    return None
