"""`mesg_pusher.tasks`'s public surface: pinned, sorted, complete and importable."""

from __future__ import annotations

from tests.support.surface import assert_surface


def test_surface() -> None:
    assert_surface(
        "mesg_pusher.tasks",
        {
            "DEFECT_FAILURE",
            "ERROR",
            "IDEMPOTENCY_KEY",
            "WEBHOOK_APPS_VARIABLE",
            "INPUT_FAILURE",
            "NOT_STARTED_FAILURE",
            "OVERLOADED_FAILURE",
            "SUCCESS",
            "TASKS",
            "ApiTask",
            "Call",
            "Context",
            "Failure",
            "Implementation",
            "Kind",
            "Limits",
            "LocalTask",
            "Retry",
            "ServiceEnvironment",
            "SignedMembers",
            "Split",
            "TaskOutput",
            "TaskRunner",
            "add_commands",
            "checked",
            "classify",
            "defect",
            "problem_with",
            "stopped_failure",
        },
    )
