"""Idempotent publishing, the rules: what the store remembers of an ``idempotencyKey`` and how
each step changes it. Pure: the clock (wall milliseconds) and the claim's owner are passed in.

Theory of operation, one key (an app and an ``idempotencyKey``; `key_name`):

- `begin`: nothing remembered -> the execution claims the key (`Running`, not yet started,
  for `CLAIM_MS`). A claim another execution holds -> wait for it. An output remembered
  (`Done`) -> answer it, publishing nothing.
- `start`: the claim is confirmed before the task runs, and from then on held by a lease its
  service renews while it runs (`renew`). Only a confirmed claim may publish: a claim whose
  writing went unanswered (a store that froze, then carried it out late) is never started, so
  once its short time is over another execution takes it over safely.
- A started claim whose lease ran out belongs to a service that stopped without answering:
  whether it published is unknown, so the key is answered `ABANDONED` (and remembered so),
  never run again.
- `release`: a claim whose execution never ran is let go.
- `finish`: the claim becomes the output, remembered for the window from then on; an output that
  says nothing reached Pusher (an ``error`` whose ``retry`` is ``safe``) is forgotten instead,
  so a later execution with the key runs again: that cannot publish twice.

A record is written as a few bytes (`encode`, `decode`), in the process's store as in Redis.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Final, Literal, TypeVar

from ..tasks import ERROR, Failure, Kind, Retry, TaskOutput
from ._store import Space, Step

T = TypeVar("T")

#: How long a claim not yet started holds: the time to confirm it, with room to spare.
CLAIM_MS: Final = 2_000.0
#: How long a started claim holds without being renewed, and how often it is renewed.
LEASE_MS: Final = 30_000.0
RENEW_SECONDS: Final = 10.0
#: Memory for keys in the process. Past it, a new key is refused (the execution is answered
#: with an error and publishes nothing) rather than an older one forgotten within its window.
MAX_KEY_BYTES: Final = 64 * 1024 * 1024

ABANDONED: Final = TaskOutput.error(
    "an execution with the same idempotencyKey was left unfinished by a service that stopped "
    "answering; it may or may not have been published, so this one was not run",
    Failure(Kind.STOPPED, Retry.UNSAFE),
)


@dataclass(frozen=True, slots=True)
class Running:
    """A claim: the execution of `owner` holds the key until `lease_ms`, and runs once the
    claim is `started`."""

    owner: str
    lease_ms: float
    started: bool = False


@dataclass(frozen=True, slots=True)
class Done:
    """The output of the key's execution."""

    output: TaskOutput


KeyRecord = Running | Done


@dataclass(frozen=True, slots=True)
class Begun:
    """What `begin` decided: ``run`` (the claim is this execution's), ``wait`` (another holds
    it) or ``answer`` with `output` (publishing nothing)."""

    kind: Literal["run", "wait", "answer"]
    output: TaskOutput | None = None


RUN: Final = Begun("run")
WAIT: Final = Begun("wait")


def key_name(app_id: str, key: str) -> bytes:
    """What names a key in the store: SHA-256 over the app id (its length first, so no pair
    can pass for another) and the key."""
    app = app_id.encode("utf-8", "surrogatepass")
    return hashlib.sha256(
        len(app).to_bytes(8, "big") + app + key.encode("utf-8", "surrogatepass")
    ).digest()


def begin(
    record: KeyRecord | None,
    *,
    owner: str,
    now_ms: float,
    window_ms: float,
    claim_ms: float = CLAIM_MS,
    started_lease_ms: float | None = None,
) -> Step[KeyRecord, Begun]:
    """``run`` once `owner` holds the claim (still to be started), ``wait`` while another
    holds it, or ``answer``. In a store whose writes cannot go unanswered (the process's), the
    claim is made started at once, for `started_lease_ms`."""
    if isinstance(record, Done):
        return Step(Begun("answer", record.output))
    if record is not None and record.owner == owner:
        return Step(RUN)
    if record is None or (not record.started and record.lease_ms <= now_ms):
        if started_lease_ms is not None:
            return _held(RUN, Running(owner, now_ms + started_lease_ms, True), window_ms)
        return _held(RUN, Running(owner, now_ms + claim_ms), window_ms)
    if record.lease_ms > now_ms:
        return Step(WAIT)
    return Step(Begun("answer", ABANDONED), _done(ABANDONED), now_ms + window_ms)


def start(
    record: KeyRecord | None, *, owner: str, now_ms: float, lease_ms: float, window_ms: float
) -> Step[KeyRecord, bool]:
    """Confirm `owner`'s claim before its execution runs; False when it holds none (taken
    over meanwhile): it must not run."""
    if isinstance(record, Running) and record.owner == owner:
        return _held(True, Running(owner, now_ms + lease_ms, started=True), window_ms)
    return Step(False)


def renew(
    record: KeyRecord | None, *, owner: str, now_ms: float, lease_ms: float, window_ms: float
) -> Step[KeyRecord, bool]:
    """Extend the lease of `owner`'s claim; False when the claim is not (or no longer) its."""
    if isinstance(record, Running) and record.owner == owner and record.started:
        return _held(True, Running(owner, now_ms + lease_ms, started=True), window_ms)
    return Step(False)


def _held(result: T, claim: Running, window_ms: float) -> Step[KeyRecord, T]:
    # A claim is kept a window past its lease: forgotten when its lease ran out, it would let
    # the key run again although its execution may have published.
    return Step(result, claim, claim.lease_ms + window_ms)


def finish(
    record: KeyRecord | None, *, owner: str, output: TaskOutput, now_ms: float, window_ms: float
) -> Step[KeyRecord, bool]:
    """`owner`'s execution answered `output`: remember it for the window (or forget the key,
    see `remembers`); False when the claim was no longer its (nothing changes then)."""
    if not (isinstance(record, Running) and record.owner == owner):
        return Step(False)
    if not remembers(output):
        return Step(True, None)
    return Step(True, _done(output), now_ms + window_ms)


def release(record: KeyRecord | None, *, owner: str) -> Step[KeyRecord, bool]:
    """Forget `owner`'s claim, whose execution never ran; False when it holds none."""
    if isinstance(record, Running) and record.owner == owner:
        return Step(True, None)
    return Step(False)


def remembers(output: TaskOutput) -> bool:
    """Whether `output` is remembered for its key: all but an error after which a retry cannot
    publish twice (nothing reached Pusher)."""
    return not (output.key == ERROR and output.data.get("retry") == "safe")


def _done(output: TaskOutput) -> Done:
    return Done(output)


def encode(record: KeyRecord) -> bytes:
    """A claim as ``k1r STARTED LEASE OWNER``; an output as ``k1d KEY`` and its data in JSON on
    the next line."""
    if isinstance(record, Running):
        return f"k1r {int(record.started)} {record.lease_ms!r} {record.owner}".encode()
    # The standard library's encoder: a record is read back by this module only, and the
    # output is written as JavaScript would (`TaskOutput.json`) when it is answered.
    data = json.dumps(record.output.data, separators=(",", ":"))
    return f"k1d {record.output.key}\n{data}".encode()


def decode(raw: bytes) -> KeyRecord:
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        raise ValueError("not a key record: not UTF-8") from None
    if text.startswith("k1r "):
        started, lease, owner = _fields(text[4:], 3)
        if started not in ("0", "1"):
            raise ValueError("not a key record: its started is not 0 or 1")
        try:
            until = float(lease)
        except ValueError:
            raise ValueError("not a key record: its lease is not a number") from None
        return Running(owner, until, started == "1")
    if text.startswith("k1d "):
        key, newline, data = text[4:].partition("\n")
        try:
            parsed = json.loads(data)
        except ValueError:
            raise ValueError("not a key record: its data is not JSON") from None
        if not (newline and key and isinstance(parsed, dict)):
            raise ValueError("not a key record: no output key, or data that is not an object")
        return Done(TaskOutput(key, parsed))
    raise ValueError("not a key record of this version")


def _fields(text: str, count: int) -> list[str]:
    fields = text.split(" ", count - 1)
    if len(fields) != count:
        raise ValueError(f"not a key record: {count} fields expected")
    return fields


def _pinned(record: KeyRecord) -> bool:
    return isinstance(record, Running)


KEYS: Final[Space[KeyRecord]] = Space(
    name="keys",
    encode=encode,
    decode=decode,
    max_bytes=MAX_KEY_BYTES,
    evicts=False,
    pinned=_pinned,
)
