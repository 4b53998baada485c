"""`mesg_pusher.demo`'s public surface: pinned, sorted, complete and importable."""

from __future__ import annotations

from tests.support.surface import assert_surface


def test_surface() -> None:
    assert_surface(
        "mesg_pusher.demo",
        {
            "Step",
            "add_commands",
            "api_steps",
            "steps",
        },
    )
