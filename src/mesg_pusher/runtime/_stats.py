"""Everything ``serve`` counts, in one store: the stop line reads its totals, ``/metrics`` writes
all of it out (see ``_metrics.py``). Nothing is counted twice.

Counting sits on the hot path of every execution and every webhook, so it is plain arithmetic:
a field, a dictionary entry and a duration bucket found by bisection (0.16 µs an execution
measured with timeit, where prometheus-client's own labelled counter and histogram take 2.4 µs).

Keys stay bounded whatever the engine or a sender sends: an execution is counted under its task
key when mesg.yml declares it (`UNDECLARED` otherwise), an event under its declared key (the
receiver refuses any other), a webhook under its outcome and status, a request refused by the
listeners under one of their few reasons.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import InitVar, dataclass, field, fields
from typing import Any, Final

from ._outcomes import EFFECTS, ExecutionOutcome

#: Upper bounds of the duration buckets, in seconds: an execution's (from arrival to outcome)
#: and a webhook's (from arrival to answer).
DURATION_BUCKETS: Final = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
)
#: The task an execution is counted under when mesg.yml does not declare its task key.
UNDECLARED: Final = "(undeclared)"
#: The counters of outcomes that mean the engine took an answer.
_ANSWERED: Final = tuple(effect.counter for effect in EFFECTS.values() if effect.answered)
_OUTCOME_COUNTERS: Final = tuple(effect.counter for effect in EFFECTS.values())


class TaskStats:
    """One task's executions: outcomes, and the durations of those run."""

    __slots__ = ("buckets", "outcomes", "seconds")

    def __init__(self) -> None:
        self.outcomes: dict[str, int] = {}
        self.buckets = [0] * (len(DURATION_BUCKETS) + 1)  # the last one: above every bound
        self.seconds = 0.0


@dataclass
class Stats:
    """Counts since start; every received execution ends in exactly one outcome counter, and
    is counted by task too. `tasks` are the task keys mesg.yml declares."""

    received: int = 0
    succeeded: int = 0
    failed: int = 0
    overloaded: int = 0
    stopped: int = 0
    dropped: int = 0
    refused: int = 0
    unsent: int = 0
    duplicates: int = 0  # delivered again: not run again, answered by the first delivery
    undecodable: int = 0  # task messages skipped: unreadable, and naming no execution
    connections: int = 0
    retried: int = 0  # SubmitResult attempts made again after a failure
    replayed: int = 0  # answered with an idempotencyKey's remembered output, not run again
    tasks: InitVar[Iterable[str]] = ()
    by_task: dict[str, TaskStats] = field(init=False, repr=False)
    webhooks: dict[tuple[str, int], int] = field(init=False, repr=False)
    events_emitted: dict[str, int] = field(init=False, repr=False)
    events_refused: dict[str, int] = field(init=False, repr=False)
    events_unconfirmed: dict[str, int] = field(init=False, repr=False)
    events_filtered: dict[str, int] = field(init=False, repr=False)
    listener_refusals: dict[str, int] = field(init=False, repr=False)
    admin_refusals: dict[str, int] = field(init=False, repr=False)
    #: The webhooks' durations, from arrival to answer: buckets as `TaskStats`' and their sum.
    webhook_buckets: list[int] = field(init=False, repr=False)
    webhook_seconds: float = field(init=False, repr=False)

    def __post_init__(self, tasks: Iterable[str]) -> None:
        self.by_task = {task: TaskStats() for task in tasks}
        self.by_task[UNDECLARED] = TaskStats()
        self.webhooks = {}
        self.events_emitted = {}
        self.events_refused = {}
        self.events_unconfirmed = {}
        self.events_filtered = {}
        self.listener_refusals = {}
        self.admin_refusals = {}
        self.webhook_buckets = [0] * (len(DURATION_BUCKETS) + 1)
        self.webhook_seconds = 0.0

    # Counting (the hot path) -----------------------------------------------------------------

    def settle(self, task_key: str, outcome: ExecutionOutcome, seconds: float) -> None:
        """An execution of `task_key` ended in `outcome` `seconds` after it arrived; a duplicate
        delivery is counted, not timed."""
        counter = EFFECTS[outcome].counter
        setattr(self, counter, getattr(self, counter) + 1)
        task = self.by_task.get(task_key) or self.by_task[UNDECLARED]
        outcomes = task.outcomes
        outcomes[outcome.value] = outcomes.get(outcome.value, 0) + 1
        if outcome is not ExecutionOutcome.DUPLICATE:
            task.buckets[bisect_left(DURATION_BUCKETS, seconds)] += 1
            task.seconds += seconds

    def webhook(self, outcome: str, status: int, seconds: float = 0.0) -> None:
        """A webhook was answered with `status` for `outcome`, `seconds` after it arrived."""
        key = (outcome, status)
        self.webhooks[key] = self.webhooks.get(key, 0) + 1
        self.webhook_buckets[bisect_left(DURATION_BUCKETS, seconds)] += 1
        self.webhook_seconds += seconds

    def event_filtered(self, event_key: str) -> None:
        """A webhook's event was left out by the filters (emitted never)."""
        self.events_filtered[event_key] = self.events_filtered.get(event_key, 0) + 1

    def event_emitted(self, event_key: str) -> None:
        self.events_emitted[event_key] = self.events_emitted.get(event_key, 0) + 1

    def event_refused(self, event_key: str) -> None:
        self.events_refused[event_key] = self.events_refused.get(event_key, 0) + 1

    def event_unconfirmed(self, event_key: str) -> None:
        """An event sent twice without the engine's answer either time: not sent again."""
        self.events_unconfirmed[event_key] = self.events_unconfirmed.get(event_key, 0) + 1

    def listener_refused(self, reason: str) -> None:
        """The listener refused or closed a request or connection on its own, for `reason`
        (one of a few words of ``_http_rules.py`` and ``_http_server.py``)."""
        self.listener_refusals[reason] = self.listener_refusals.get(reason, 0) + 1

    def admin_refused(self, reason: str) -> None:
        """The admin address (``/health``, ``/metrics``) refused or closed a request or
        connection on its own, for `reason` (as `listener_refused`)."""
        self.admin_refusals[reason] = self.admin_refusals.get(reason, 0) + 1

    # Reading ---------------------------------------------------------------------------------

    @property
    def answered(self) -> int:
        """Executions whose result the engine took."""
        return sum(getattr(self, counter) for counter in _ANSWERED)

    @property
    def settled(self) -> int:
        """Executions with an outcome; equals `received` once the service has stopped."""
        return sum(getattr(self, counter) for counter in _OUTCOME_COUNTERS)

    def totals(self) -> dict[str, Any]:
        """The totals, by name, as the stop line shows them."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.init}

    def executions(self, task: str | None = None) -> int:
        """Executions counted (of `task`, or of every task)."""
        counted = [self.by_task[task]] if task is not None else self.by_task.values()
        return sum(sum(t.outcomes.values()) for t in counted)
