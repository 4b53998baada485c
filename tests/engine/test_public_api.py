"""`mesg_pusher.engine`'s public surface: pinned, sorted, complete and importable."""

from __future__ import annotations

from tests.support.surface import assert_surface


def test_surface() -> None:
    assert_surface(
        "mesg_pusher.engine",
        {
            "CoreClient",
            "Emission",
            "Engine",
            "EngineError",
            "EngineServer",
            "Events",
            "Execution",
            "IdShape",
            "Result",
            "Results",
            "Stream",
            "Submission",
            "add_commands",
            "messages",
        },
    )
