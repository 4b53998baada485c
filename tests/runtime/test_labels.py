"""How log lines name an execution and its task: told apart and matched with the engine's, never
with a secret."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest

from mesg_pusher.runtime._labels import engine_details, execution_label, task_label

SECRET = "7ad3773142a6692b25b8"
TASKS = frozenset({"trigger", "triggerBatch"})
JOINED = (
    "2026-12-01 09:25:41.188702065 +0000 UTC.mesg-pusher.trigger."
    '{"appId":"1","data":{"a":"\\u003cb\\u003e"},"secret":"' + SECRET + '"}'
)


def _known() -> Sequence[str]:
    return [SECRET]


def _unknown() -> Sequence[str] | None:
    return None


def _never() -> Sequence[str] | None:
    raise AssertionError("the secrets were not needed")


def _label(execution_id: str, task_key: str = "trigger", secrets: object = _never) -> str:
    return execution_label(
        execution_id,
        service="mesg-pusher",
        task_key=task_key,
        tasks=TASKS,
        secrets=secrets,  # type: ignore[arg-type]
    )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def test_a_digest_id_is_shown_as_it_is() -> None:
    assert _label("a" * 40) == "a" * 40


def test_a_joined_id_loses_its_inputs_and_gains_a_digest_of_the_whole() -> None:
    label = _label(JOINED)
    assert label == (
        "2026-12-01 09:25:41.188702065 +0000 UTC.mesg-pusher.trigger.{…}#" + _digest(JOINED)
    )
    assert SECRET not in label


def test_two_executions_alike_but_for_their_time_are_told_apart() -> None:
    other = JOINED.replace("41.188702065", "41.188702066")
    assert _label(JOINED) != _label(other)


@pytest.mark.parametrize(
    "execution_id",
    [
        f"2026-12-01 09:25:41 +0000 UTC.{SECRET}.trigger." + "{}",  # the service is not ours
        f"2026-12-01 09:25:41 +0000 UTC.mesg-pusher.x{SECRET}." + "{}",  # undeclared task
        f"no time here {SECRET}",
        f"{SECRET} and\nmore",
    ],
)
def test_an_id_that_cannot_be_vouched_for_is_scrubbed(execution_id: str) -> None:
    task_key = execution_id.split(".")[2] if ".x" in execution_id else "trigger"
    label = _label(execution_id, task_key, _known)
    assert SECRET not in label
    assert "***" in label
    assert label.endswith("#" + _digest(execution_id))
    # Its secrets unknown (inputs that could not be read), nothing of it is shown.
    hidden = _label(execution_id, task_key, _unknown)
    assert hidden.startswith("…")
    assert hidden.endswith("#" + _digest(execution_id))
    assert SECRET not in hidden


def test_a_long_id_is_cut() -> None:
    label = _label("x" * 10_000, secrets=_known)
    assert len(label) < 150
    assert label.startswith("x" * 120 + "…#")


def test_task_labels() -> None:
    assert task_label("trigger", tasks=TASKS, secrets=_never) == "trigger"
    assert task_label(f"x{SECRET}", tasks=TASKS, secrets=_known) == "x***"
    assert len(task_label("y" * 1000, tasks=TASKS, secrets=_known)) == 65
    assert task_label(f"x{SECRET}", tasks=TASKS, secrets=_unknown) == "…#" + _digest(f"x{SECRET}")


def test_engine_details_name_the_execution_by_its_label() -> None:
    details = f"Execution {JOINED} is locked ({SECRET})" + "!" * 1000
    shown = engine_details(details, execution_id=JOINED, label="L", secrets=[SECRET])
    assert shown.startswith("Execution L is locked (***)!")
    assert len(shown) == 301
