"""Who is connected and subscribed to what, for one app: pure data, no I/O.

Theory of operation: a socket connects, subscribes to channels and leaves. A channel exists
while it has a subscriber (Pusher calls it *occupied*). On a presence channel each
subscription carries a member (user id and info); a user who subscribes from several
connections is one member, added when the first of them joins and removed when the last one
leaves, which is when Pusher sends ``member_added`` and ``member_removed``. A socket may also
sign in as a user, which ``terminate_connections`` and ``#server-to-user-<id>`` channels use.

Every method returns what changed, so the edge can tell the other subscribers; nothing here
sends, sleeps or reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..pusher import limits


@dataclass(frozen=True, slots=True)
class Member:
    """A presence channel member: the ``user_id`` and ``user_info`` of its channel data."""

    user_id: str
    user_info: Any = None


@dataclass(slots=True)
class _Channel:
    #: socket id -> the user id it joined as (presence channels) or None
    sockets: dict[str, str | None] = field(default_factory=dict)
    #: user id -> [user_info, connections of that user on this channel]
    members: dict[str, list[Any]] = field(default_factory=dict)


@dataclass(slots=True)
class _Socket:
    channels: set[str] = field(default_factory=set)
    user_id: str | None = None


@dataclass(frozen=True, slots=True)
class Joined:
    """A subscription's outcome. `member_added` is set when a new presence member appeared,
    `occupied` when the channel had no subscriber before."""

    already_subscribed: bool
    member_added: Member | None = None
    occupied: bool = False


@dataclass(frozen=True, slots=True)
class Left:
    """An unsubscription's outcome. `member_removed` names the user whose last connection left."""

    channel: str
    member_removed: str | None = None
    vacated: bool = False


def is_presence(channel: str) -> bool:
    return channel.startswith(limits.PRESENCE_PREFIX)


class AppState:
    """Connections and subscriptions of one app."""

    __slots__ = ("_channels", "_sockets", "_users")

    def __init__(self) -> None:
        self._channels: dict[str, _Channel] = {}
        self._sockets: dict[str, _Socket] = {}
        self._users: dict[str, set[str]] = {}

    # --- connections -------------------------------------------------------------------------

    def connect(self, socket_id: str) -> None:
        if socket_id in self._sockets:
            raise ValueError(f"socket {socket_id} is already connected")
        self._sockets[socket_id] = _Socket()

    def disconnect(self, socket_id: str) -> list[Left]:
        """Forget a socket; what it left, channel by channel."""
        socket = self._sockets.get(socket_id)
        if socket is None:
            return []
        left = [self._leave(socket_id, channel) for channel in sorted(socket.channels)]
        if socket.user_id is not None:
            self._forget_user_socket(socket.user_id, socket_id)
        del self._sockets[socket_id]
        return left

    def is_connected(self, socket_id: str) -> bool:
        return socket_id in self._sockets

    def sign_in(self, socket_id: str, user_id: str) -> None:
        socket = self._sockets[socket_id]
        if socket.user_id is not None:
            self._forget_user_socket(socket.user_id, socket_id)
        socket.user_id = user_id
        self._users.setdefault(user_id, set()).add(socket_id)

    def user_of(self, socket_id: str) -> str | None:
        socket = self._sockets.get(socket_id)
        return socket.user_id if socket else None

    def user_sockets(self, user_id: str) -> list[str]:
        return sorted(self._users.get(user_id, ()))

    def _forget_user_socket(self, user_id: str, socket_id: str) -> None:
        sockets = self._users.get(user_id)
        if sockets is not None:
            sockets.discard(socket_id)
            if not sockets:
                del self._users[user_id]

    # --- subscriptions -----------------------------------------------------------------------

    def subscribe(self, socket_id: str, channel: str, member: Member | None = None) -> Joined:
        """Add a subscription; `member` is required on presence channels and ignored elsewhere."""
        socket = self._sockets[socket_id]
        if channel in socket.channels:
            return Joined(already_subscribed=True)
        presence = is_presence(channel)
        if presence and member is None:
            raise ValueError("a presence subscription needs a member")
        occupied = channel not in self._channels
        state = self._channels.setdefault(channel, _Channel())
        socket.channels.add(channel)
        if not presence or member is None:
            state.sockets[socket_id] = None
            return Joined(already_subscribed=False, occupied=occupied)
        state.sockets[socket_id] = member.user_id
        entry = state.members.get(member.user_id)
        if entry is not None:
            entry[1] += 1
            return Joined(already_subscribed=False, occupied=occupied)
        state.members[member.user_id] = [member.user_info, 1]
        return Joined(already_subscribed=False, member_added=member, occupied=occupied)

    def unsubscribe(self, socket_id: str, channel: str) -> Left | None:
        socket = self._sockets.get(socket_id)
        if socket is None or channel not in socket.channels:
            return None
        return self._leave(socket_id, channel)

    def _leave(self, socket_id: str, channel: str) -> Left:
        self._sockets[socket_id].channels.discard(channel)
        state = self._channels[channel]
        user_id = state.sockets.pop(socket_id, None)
        removed = None
        if user_id is not None:
            entry = state.members[user_id]
            entry[1] -= 1
            if entry[1] == 0:
                del state.members[user_id]
                removed = user_id
        vacated = not state.sockets
        if vacated:
            del self._channels[channel]
        return Left(channel, removed, vacated)

    def user_of_channel(self, socket_id: str, channel: str) -> str | None:
        """The presence user id `socket_id` joined `channel` as."""
        state = self._channels.get(channel)
        return state.sockets.get(socket_id) if state else None

    def is_subscribed(self, socket_id: str, channel: str) -> bool:
        socket = self._sockets.get(socket_id)
        return socket is not None and channel in socket.channels

    def would_exceed_members(self, channel: str, user_id: str, limit: int) -> bool:
        """Whether `user_id` joining `channel` would take it past `limit` members."""
        state = self._channels.get(channel)
        if state is None or user_id in state.members:
            return False
        return len(state.members) >= limit

    # --- reading -----------------------------------------------------------------------------

    def recipients(self, channel: str, exclude: str | None = None) -> list[str]:
        state = self._channels.get(channel)
        if state is None:
            return []
        if exclude is None:
            return list(state.sockets)
        return [socket_id for socket_id in state.sockets if socket_id != exclude]

    def subscription_count(self, channel: str) -> int:
        state = self._channels.get(channel)
        return len(state.sockets) if state else 0

    def user_count(self, channel: str) -> int:
        state = self._channels.get(channel)
        return len(state.members) if state else 0

    def user_ids(self, channel: str) -> list[str]:
        state = self._channels.get(channel)
        return list(state.members) if state else []

    def presence(self, channel: str) -> dict[str, Any]:
        """The ``presence`` object of ``subscription_succeeded``: ids, hash and count."""
        state = self._channels.get(channel)
        members = state.members if state else {}
        return {
            "ids": list(members),
            "hash": {user_id: entry[0] for user_id, entry in members.items()},
            "count": len(members),
        }

    def occupied(self, prefix: str = "") -> list[str]:
        """Names of the channels that have a subscriber, under `prefix`, sorted."""
        return sorted(name for name in self._channels if name.startswith(prefix))

    def channels_of(self, socket_id: str) -> list[str]:
        socket = self._sockets.get(socket_id)
        return sorted(socket.channels) if socket else []

    def sockets(self) -> Iterator[str]:
        return iter(self._sockets)

    @property
    def connection_count(self) -> int:
        return len(self._sockets)
