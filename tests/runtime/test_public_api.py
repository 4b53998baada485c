"""`mesg_pusher.runtime`'s public surface: pinned, sorted, complete and importable."""

from __future__ import annotations

from tests.support.surface import assert_surface


def test_surface() -> None:
    assert_surface(
        "mesg_pusher.runtime",
        {
            "DEPLOYED_VARIABLES",
            "SETTINGS",
            "Admission",
            "Backoff",
            "ConfigError",
            "Decision",
            "EmitVerdict",
            "ServeConfig",
            "Service",
            "ServiceFailed",
            "Stats",
            "StopPlan",
            "SubmitVerdict",
            "add_commands",
            "backoff_delay",
            "emit_verdict",
            "grpc_target",
            "listen_refusal",
            "resolve",
            "stop_plan",
            "submit_verdict",
        },
    )
