"""Faults injected on demand (``--fault KIND[:RATE][:MS]``): the failures users meet in
production, made to happen here so a flow can be rehearsed against them. Pure: the random
source is seeded from outside, and the edges ask `FaultDraws` whether a fault fires now.

Each kind draws from its own random stream, seeded from the seed and the kind's name, so a run
with the same seed and the same traffic injects the same faults, and adding a second kind does
not change when the first one fires. A draw is made at each chance a kind has: every HTTP API
call for the HTTP kinds, every webhook POSTed to one URL for the webhook kinds, every frame sent
to a connection for ``ws-drop``.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from .._errors import InputError

#: The HTTP API: answered 500 or 503 without publishing.
HTTP_500: Final = "http-500"
HTTP_503: Final = "http-503"
#: The HTTP API: the connection reset before the request is read (nothing published), or after
#: it was read and published (the answer is lost).
RESET_BEFORE_READ: Final = "reset-before-read"
RESET_AFTER_READ: Final = "reset-after-read"
#: The HTTP API: the call waits MS milliseconds, then is published and answered.
SLOW_ANSWER: Final = "slow-answer"
#: Webhooks: a batch is lost (never sent to that URL), or sent MS milliseconds late.
DROP_WEBHOOK: Final = "drop-webhook"
SLOW_WEBHOOK: Final = "slow-webhook"
#: Websockets: the connection is dropped (no close frame) instead of sending a frame.
WS_DROP: Final = "ws-drop"

HTTP_KINDS: Final = (HTTP_500, HTTP_503, RESET_BEFORE_READ, RESET_AFTER_READ, SLOW_ANSWER)
WEBHOOK_KINDS: Final = (DROP_WEBHOOK, SLOW_WEBHOOK)
KINDS: Final = (*HTTP_KINDS, *WEBHOOK_KINDS, WS_DROP)
#: The kinds that wait, and how long by default (ms): a slow answer outlasts the usual 5 s
#: client timeouts (the official Python SDK's); a slow webhook arrives well after its batch.
SLOW_DEFAULT_MS: Final = {SLOW_ANSWER: 10_000, SLOW_WEBHOOK: 5_000}
#: The longest wait a slow kind may be given: an hour.
MAX_MS: Final = 3_600_000
_FORM: Final = "expected KIND[:RATE][:MS]"


@dataclass(frozen=True, slots=True)
class Fault:
    """One ``--fault``: its kind, the fraction of chances it fires on (0 to 1) and, for the
    slow kinds, the wait in milliseconds."""

    kind: str
    rate: float = 1.0
    ms: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InputError("--fault", f"unknown kind {self.kind!r} (kinds: {', '.join(KINDS)})")
        if not 0.0 <= self.rate <= 1.0:
            raise InputError("--fault", f"{self.kind}: RATE is a fraction from 0 to 1")
        if self.kind in SLOW_DEFAULT_MS:
            if not 0 <= self.ms <= MAX_MS:
                raise InputError("--fault", f"{self.kind}: MS is 0 to {MAX_MS} milliseconds")
        elif self.ms:
            raise InputError("--fault", f"{self.kind}: MS is for {' and '.join(SLOW_DEFAULT_MS)}")

    @property
    def seconds(self) -> float:
        return self.ms / 1000

    def __str__(self) -> str:
        shown = self.kind if self.rate == 1 else f"{self.kind} at rate {self.rate:g}"
        return f"{shown}, {self.ms} ms" if self.kind in SLOW_DEFAULT_MS else shown


def parse_fault(spec: str) -> Fault:
    """A fault from ``KIND[:RATE][:MS]``: RATE defaults to 1, MS to the kind's default."""
    parts = spec.split(":")
    if len(parts) > 3 or not parts[0]:
        raise InputError("--fault", _FORM)
    kind = parts[0]
    rate_text = parts[1] if len(parts) > 1 else ""
    ms_text = parts[2] if len(parts) > 2 else ""
    try:
        rate = float(rate_text) if rate_text else 1.0
    except ValueError:
        raise InputError("--fault", f"{_FORM}; RATE is a number from 0 to 1") from None
    if ms_text and not (ms_text.isascii() and ms_text.isdigit() and len(ms_text) <= 9):
        raise InputError("--fault", f"{_FORM}; MS is a whole number of milliseconds")
    ms = int(ms_text) if ms_text else SLOW_DEFAULT_MS.get(kind, 0)
    return Fault(kind, rate, ms)


class FaultDraws:
    """Whether each fault fires at its next chance, from one seeded stream per kind."""

    def __init__(self, faults: Iterable[Fault], seed: int) -> None:
        self.seed = seed
        self._faults: dict[str, Fault] = {}
        for fault in faults:
            if fault.kind in self._faults:
                raise InputError("--fault", f"{fault.kind} is given twice")
            self._faults[fault.kind] = fault
        self._streams = {kind: random.Random(_stream_seed(seed, kind)) for kind in self._faults}

    def __bool__(self) -> bool:
        return bool(self._faults)

    @property
    def faults(self) -> tuple[Fault, ...]:
        return tuple(self._faults.values())

    def draw(self, kind: str) -> Fault | None:
        """The fault of `kind` if it fires at this chance, else None (and None when not given)."""
        fault = self._faults.get(kind)
        if fault is None:
            return None
        fires = self._streams[kind].random() < fault.rate
        return fault if fires else None

    def draw_all(self, kinds: Iterable[str]) -> list[Fault]:
        """The faults of `kinds` that fire at this one chance, each kind drawing once."""
        return [fault for kind in kinds if (fault := self.draw(kind)) is not None]


def _stream_seed(seed: int, kind: str) -> int:
    digest = hashlib.sha256(f"{seed}:{kind}".encode()).digest()
    return int.from_bytes(digest[:8], "big")
