"""What a failed execution tells a workflow: its `Kind`, and whether trying it again is safe
(`Retry`). `classify` is the one function that reads a failure, from the core's typed errors;
`retried_by_service` is the one rule for whether the service tries again itself. Pure.

Whether a retry can publish twice turns on one fact: did the request reach Pusher? The
transport says it (`sent`), and an answer says Pusher read it. As stripe-python's
`_should_retry` does, one function reads every failure.

What happened, its kind and retry, and why:

- an input breaks a rule (nothing was sent): `input`, `useless` (the same inputs break it again);
- no connection: refused, DNS, a TLS handshake cut short, a proxy that could not reach the
  server (`sent` False): `network`, `safe` (nothing was written); a certificate or TLS version
  refused, a proxy's 4xx refusal of the tunnel (`sent` False, `lasting`): `network`, `useless`;
  reset or closed after the write, an answer cut short (`sent` True): `network`, `unsafe`
  (Pusher may have published it);
- the timeout, before the write: `timeout`, `safe`; after it: `timeout`, `unsafe`;
- 401: `auth`, `useless` (wrong credentials or clock: signing again signs the same);
- 403: `forbidden`, `useless` (the app is disabled, or over its daily quota until midnight UTC);
- 413: `too_large`, `useless` (the same data is as large);
- 408, 429: `rejected`, `safe` (not acted on: timed out being read, or refused for its rate;
  later it may pass); any other status below 500 (other 4xx, 3xx): `rejected`, `useless`;
- 503: `server`, `safe`: "unable to handle the request" (RFC 9110), what a load balancer with
  no backend or a server shedding load answers; it did not act on the request;
- 500, 502, 504 and every other 5xx: `server`, `unsafe` (Pusher, or the server behind a
  gateway, may have acted on it before failing);
- a 2xx answer that cannot be passed on (malformed, or repeating a secret): `server`,
  `useless` (Pusher acted on it; the same answer would come again);
- any other error: `defect`, `useless` (a fault of ours, not of the execution).

A call that publishes nothing (the queries, `terminateUserConnections`: doing it twice is doing
it once) is never `unsafe`: where a publish would be, it is `safe`. The service's own answers
have their kinds too: `overloaded` (shed before it ran: `safe`), `stopped` (before it ran:
`safe`; while it ran: `unsafe`, or `safe` for a call that publishes nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from .._errors import (
    InputError,
    PusherConnectionError,
    PusherError,
    PusherHTTPError,
    PusherTimeoutError,
)


class Kind(StrEnum):
    """What failed, the ``kind`` of an ``error`` output."""

    INPUT = "input"
    AUTH = "auth"
    FORBIDDEN = "forbidden"
    TOO_LARGE = "too_large"
    REJECTED = "rejected"
    SERVER = "server"
    NETWORK = "network"
    TIMEOUT = "timeout"
    OVERLOADED = "overloaded"
    STOPPED = "stopped"
    DEFECT = "defect"


class Retry(StrEnum):
    """What trying the same execution again would do, the ``retry`` of an ``error`` output."""

    #: Nothing reached Pusher: trying again cannot publish twice.
    SAFE = "safe"
    #: The request may have been published: trying again may publish it twice.
    UNSAFE = "unsafe"
    #: The same execution will fail again.
    USELESS = "useless"


@dataclass(frozen=True, slots=True)
class Failure:
    """A failure as a workflow reads it: its kind, whether a retry is safe, and the HTTP status
    when there was an answer with an error status."""

    kind: Kind
    retry: Retry
    status: int | None = None


#: Statuses that say the request was not acted on, and may pass later.
_NOT_ACTED_ON: Final = frozenset({408, 429})
_UNAVAILABLE: Final = 503
_STATUS_KINDS: Final = {401: Kind.AUTH, 403: Kind.FORBIDDEN, 413: Kind.TOO_LARGE}

#: An input broke a rule, nothing was sent.
INPUT_FAILURE: Final = Failure(Kind.INPUT, Retry.USELESS)
#: A fault of the service's own.
DEFECT_FAILURE: Final = Failure(Kind.DEFECT, Retry.USELESS)
#: The service shed the execution before running it.
OVERLOADED_FAILURE: Final = Failure(Kind.OVERLOADED, Retry.SAFE)
#: The service stopped before running the execution.
NOT_STARTED_FAILURE: Final = Failure(Kind.STOPPED, Retry.SAFE)


def classify(
    error: BaseException,
    *,
    publishes: bool = True,
    published: int = 0,
    maybe_published: bool = False,
) -> Failure:
    """The failure `error` is, for a call that `publishes` (acting on it twice is not acting on
    it once) or not; total: any exception has an answer (see the module's table).

    `published` counts what a split execution's earlier calls published before `error` stopped
    it, and `maybe_published` says an earlier try of the execution may have been published
    (it was tried again): trying the whole execution again could publish that again, so it is
    no longer `safe`.
    """
    failure = _classify(error, publishes)
    if (published or maybe_published) and failure.retry is Retry.SAFE:
        return Failure(failure.kind, Retry.UNSAFE, failure.status)
    return failure


def _classify(error: BaseException, publishes: bool) -> Failure:
    written = Retry.UNSAFE if publishes else Retry.SAFE
    if isinstance(error, PusherHTTPError):
        status = error.status
        if status >= 500:
            retry = Retry.SAFE if status == _UNAVAILABLE else written
            return Failure(Kind.SERVER, retry, status)
        kind = _STATUS_KINDS.get(status)
        if kind is not None:
            return Failure(kind, Retry.USELESS, status)
        retry = Retry.SAFE if status in _NOT_ACTED_ON else Retry.USELESS
        return Failure(Kind.REJECTED, retry, status)
    if isinstance(error, PusherConnectionError):  # a timeout too
        kind = Kind.TIMEOUT if isinstance(error, PusherTimeoutError) else Kind.NETWORK
        if error.sent:
            return Failure(kind, written)
        return Failure(kind, Retry.USELESS if error.lasting else Retry.SAFE)
    if isinstance(error, PusherError):
        return Failure(Kind.SERVER, Retry.USELESS)
    if isinstance(error, InputError):
        return INPUT_FAILURE
    return DEFECT_FAILURE


def stopped_failure(*, publishes: bool) -> Failure:
    """An execution the service stopped while it ran: it may have been published."""
    return Failure(Kind.STOPPED, Retry.UNSAFE if publishes else Retry.SAFE)


def retried_by_service(failure: Failure, *, keyed: bool) -> bool:
    """Whether the service may try a failed call again: a `safe` failure always, an `unsafe`
    one only for an execution that carries an ``idempotencyKey``, a `useless` one never."""
    return failure.retry is Retry.SAFE or (failure.retry is Retry.UNSAFE and keyed)
