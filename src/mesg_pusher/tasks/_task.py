"""The shape of a task: a small declaration the runner reads, plus the function that does the
task's own part.

An `ApiTask` makes one call to Pusher's HTTP API (or, split, several in turn: `Split`): its
function turns the valid inputs into the request, signed when sent, and says how Pusher's 2xx
answer becomes the ``success`` data; the runner builds the app and the connection, sends (trying
again where that is safe), and reads the status. `publishes` says whether doing a call twice
publishes twice, which decides whether a failed call may be tried again. A `LocalTask` is
answered here, with no network (the authorizations a browser gets from an app's auth
endpoint). Both name the connection inputs they need once the environment's defaults are in
(`needs`), so a missing one is reported naming the input and its variable alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from ..pusher import App, HttpRequest
from ._inputs import Limits

#: What a call to Pusher's HTTP API needs: who calls.
APP_INPUTS: Final = ("appId", "key", "secret")
#: What a signature handed to a browser needs.
SIGNING_INPUTS: Final = ("key", "secret")


class SignedMembers(Protocol):
    """Where the presence channel data this service signs is noted: in ``serve``, its memory
    of members (`mesg_pusher.webhooks.MemberMemory`), which gives their ``member_added`` and
    ``member_removed`` events the ``user_info`` signed."""

    def note(self, key: str, channel: str, channel_data: str, at_ms: float) -> None:
        """The app of `key` signed `channel_data` (JSON text) for `channel` at `at_ms`."""
        ...


@dataclass(frozen=True, slots=True)
class Context:
    """What a task may read besides its inputs: the execution's limits, the randomness for
    encryption nonces (24 bytes a call), the clock's reading (Unix milliseconds), and where to
    note the presence members it signs (none outside ``serve``)."""

    limits: Limits
    nonce: Callable[[], bytes]
    now_ms: float
    members: SignedMembers | None = None


@dataclass(frozen=True, slots=True)
class Call:
    """A request for Pusher, and how its 2xx answer (the parsed JSON object) becomes the
    ``success`` data. `sign` gives the request signed at a time (Unix seconds): a try made again
    is signed again. `items` counts what the call publishes (events, or the channels of one
    event), so a split execution that fails part way says how many went out."""

    sign: Callable[[int], HttpRequest]
    success_data: Callable[[Mapping[str, Any]], dict[str, Any]]
    items: int = 1


@dataclass(frozen=True, slots=True)
class Split:
    """An execution split into calls that each fit Pusher's limits (``split: true``), sent in
    their order; `merge` makes the ``success`` data from each call's, and `unit` names what
    `Call.items` counts (``events``, ``channels``)."""

    calls: tuple[Call, ...]
    merge: Callable[[Sequence[Mapping[str, Any]]], dict[str, Any]]
    unit: str


@dataclass(frozen=True, slots=True)
class ApiTask:
    """A task that calls Pusher's HTTP API; `publishes` when a call done twice publishes twice
    (a query or a termination done twice is done once)."""

    key: str
    call: Callable[[App, Mapping[str, Any], Context], Call | Split]
    needs: tuple[str, ...] = APP_INPUTS
    publishes: bool = False


@dataclass(frozen=True, slots=True)
class LocalTask:
    """A task answered here, without a network call: `success_data` gives the ``success`` data.
    `shows` names the fields of that data that repeat an input of the same name (as JSON
    text): the runner refuses one showing any part of a secret."""

    key: str
    success_data: Callable[[Mapping[str, Any], Context], dict[str, Any]]
    needs: tuple[str, ...] = SIGNING_INPUTS
    shows: tuple[str, ...] = ()


#: What runs a task (a `mesg_pusher.mesg.Task` is what mesg.yml declares of it).
Implementation = ApiTask | LocalTask
