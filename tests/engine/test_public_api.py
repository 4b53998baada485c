"""`mesg_pusher.engine`'s public surface: pinned, sorted, complete and importable."""

from __future__ import annotations

from tests.support.surface import assert_surface


def test_surface() -> None:
    assert_surface(
        "mesg_pusher.engine",
        {
            "CoreClient",
            "EventCall",
            "Engine",
            "EngineClient",
            "EngineError",
            "EngineServer",
            "EventHeard",
            "Events",
            "CreatedExecution",
            "Heard",
            "IdShape",
            "Identity",
            "Result",
            "ResultHeard",
            "Results",
            "ServiceSchema",
            "Stream",
            "Submission",
            "add_commands",
            "load_schema",
            "messages",
        },
    )
