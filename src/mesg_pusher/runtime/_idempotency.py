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

A record is written as a few bytes of JSON (`encode`, `decode`) for a store outside the process;
the process's store keeps it as it is.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeVar

from .._json import dumps, loads
from ..tasks import ERROR, TaskOutput
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
#: What one key costs in the process besides its output's data (`weight`), at most (measured
#: with tracemalloc by the tests).
KEY_ENTRY_BYTES: Final = 360
#: The tasks that publish, and so take an ``idempotencyKey``.
KEYED_TASKS: Final = frozenset({"trigger", "triggerBatch", "sendToUser"})
KEY_INPUT: Final = "idempotencyKey"

ABANDONED: Final = TaskOutput(
    ERROR,
    {
        "error": "an execution with the same idempotencyKey was left unfinished by a service "
        "that stopped answering; it may or may not have been published, so this one was not "
        "run",
        "kind": "stopped",
        "retry": "unsafe",
    },
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
    if isinstance(record, Running):
        fields: dict[str, Any] = {
            "owner": record.owner,
            "lease_ms": record.lease_ms,
            "started": record.started,
        }
    else:
        fields = {"output": record.output.key, "data": record.output.data}
    return b"k1" + dumps(fields).encode()


def decode(raw: bytes) -> KeyRecord:
    if not raw.startswith(b"k1"):
        raise ValueError("not a key record of this version")
    try:
        fields = loads(raw[2:])
    except ValueError:
        raise ValueError("not a key record: not JSON") from None
    if not isinstance(fields, dict):
        raise ValueError("not a key record")
    try:
        if "owner" in fields:
            started = fields["started"]
            if not isinstance(started, bool):
                raise ValueError("a key record whose started is not a boolean")
            return Running(str(fields["owner"]), float(fields["lease_ms"]), started)
        data = fields["data"]
        if not isinstance(data, dict):
            raise ValueError("a key record whose data is not an object")
        return Done(TaskOutput(str(fields["output"]), data))
    except (KeyError, TypeError) as error:
        raise ValueError(f"a key record without {error}") from None


def cost(record: KeyRecord) -> int:
    if isinstance(record, Running):
        return KEY_ENTRY_BYTES + len(record.owner)
    return KEY_ENTRY_BYTES + weight(record.output.data)


def weight(value: Any) -> int:
    """What a JSON value (an output's data) holds in memory, at most."""
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(weight(k) + weight(v) for k, v in value.items())
    if isinstance(value, list):
        return sys.getsizeof(value) + sum(weight(item) for item in value)
    return sys.getsizeof(value)


def _pinned(record: KeyRecord) -> bool:
    return isinstance(record, Running)


KEYS: Final[Space[KeyRecord]] = Space(
    name="keys",
    encode=encode,
    decode=decode,
    cost=cost,
    max_bytes=MAX_KEY_BYTES,
    evicts=False,
    pinned=_pinned,
)


def interim_scope(
    task_key: str, inputs: Mapping[str, Any], default_app_id: str | None
) -> tuple[str, str] | None:
    """The app and key an execution is idempotent by, or None.

    Stands in for the task runner's own rule (``TaskRunner.idempotency_scope``) until it lands:
    a publishing task with a non-empty ``idempotencyKey`` string, by the ``appId`` input or the
    environment's app id."""
    if task_key not in KEYED_TASKS:
        return None
    key = inputs.get(KEY_INPUT)
    if not isinstance(key, str) or not key:
        return None
    app_id = inputs.get("appId")
    if not isinstance(app_id, str):
        app_id = default_app_id or ""
    return app_id, key
