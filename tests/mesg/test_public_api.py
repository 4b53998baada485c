"""`mesg_pusher.mesg`'s public surface: pinned, sorted, complete and importable."""

from __future__ import annotations

from tests.support.surface import assert_surface


def test_surface() -> None:
    assert_surface(
        "mesg_pusher.mesg",
        {
            "DefinitionError",
            "Engine",
            "Output",
            "Parameter",
            "ServiceDefinition",
            "Task",
            "load",
            "load_packaged",
            "packaged_text",
            "render",
            "render_events",
            "render_tasks",
            "validate",
            "with_env",
            "words",
        },
    )
