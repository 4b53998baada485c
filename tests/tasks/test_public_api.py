"""`mesg_pusher.tasks`'s public surface: pinned, sorted, complete and importable."""

from __future__ import annotations

from tests.support.surface import assert_surface


def test_surface() -> None:
    assert_surface(
        "mesg_pusher.tasks",
        {
            "ERROR",
            "SUCCESS",
            "TASKS",
            "ApiTask",
            "Call",
            "Context",
            "Implementation",
            "Limits",
            "LocalTask",
            "ServiceEnvironment",
            "SignedMembers",
            "TaskOutput",
            "TaskRunner",
            "add_commands",
            "checked",
            "defect",
            "problem_with",
        },
    )
