"""One execution in the service's hands, from its arrival to its outcome: what the engine sent,
where it stands, and how a log line names it.

Its labels for the log, and the secrets they must not show, are worked out only when a line is
written (see ``_labels.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from .._json import loads
from ..tasks import TaskOutput
from ._deliveries import id_key
from ._labels import execution_label, task_label
from ._outcomes import ExecutionOutcome

_UNSET: Final[Any] = object()


@dataclass(frozen=True, slots=True)
class Naming:
    """What an execution's labels may show as it is (the service's name and task keys), and how
    its secrets are found (the task runner's way: the environment's secrets included)."""

    service: str
    tasks: Mapping[str, object]
    secrets_of: Callable[[Mapping[str, Any]], list[str]]


class ExecutionInHand:
    """One execution in the service's hands."""

    __slots__ = (
        "_label",
        "_naming",
        "_secrets",
        "_task_label",
        "arrived",
        "defective",
        "id",
        "input_data",
        "key",
        "outcome",
        "preset_output",
        "preset_output",
        "settled",
        "size",
        "task_key",
    )

    def __init__(
        self,
        execution_id: str,
        task_key: str,
        input_data: str | Mapping[str, Any] | None,
        size: int,
        arrived: float,
        *,
        naming: Naming,
    ) -> None:
        self.id = execution_id
        self.task_key = task_key
        # JSON text, or already read (a Struct's); None when not taken (too large, unreadable)
        self.input_data = input_data
        self.size = size
        self.arrived = arrived
        self.key = id_key(execution_id)
        self._naming = naming
        self.settled = False
        self.defective = False  # a defect broke it once: its output is the defect's
        self.preset_output: TaskOutput | None = None  # the output given without running, if any
        self.outcome = ExecutionOutcome.FAILED  # the outcome of that output once taken
        self._secrets: list[str] | None = _UNSET
        self._label: str | None = None
        self._task_label: str | None = None

    def secrets(self) -> list[str] | None:
        """The execution's secrets, read from its inputs; None when they cannot be read."""
        if self._secrets is _UNSET:
            found = None
            inputs: Any = self.input_data
            if isinstance(inputs, str):
                try:
                    inputs = loads(inputs)
                except ValueError:
                    inputs = None
            if isinstance(inputs, Mapping):
                found = self._naming.secrets_of(inputs)
            self._secrets = found
        return self._secrets

    @property
    def label(self) -> str:
        if self._label is None:
            naming = self._naming
            self._label = execution_label(
                self.id,
                service=naming.service,
                task_key=self.task_key,
                tasks=naming.tasks,
                secrets=self.secrets,
            )
        return self._label

    @property
    def task_label(self) -> str:
        if self._task_label is None:
            self._task_label = task_label(
                self.task_key, tasks=self._naming.tasks, secrets=self.secrets
            )
        return self._task_label
