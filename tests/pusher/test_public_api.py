"""`mesg_pusher.pusher`'s public surface: pinned, sorted, complete and importable."""

from __future__ import annotations

from tests.support.surface import assert_surface


def test_surface() -> None:
    assert_surface(
        "mesg_pusher.pusher",
        {
            "AUTH_VERSION",
            "DEFAULT_HOST",
            "DEFAULT_TIMEOUT_MS",
            "ENVIRONMENT_VARIABLES",
            "MASTER_KEY",
            "App",
            "BatchEvent",
            "ChannelQuery",
            "ChannelsQuery",
            "Connection",
            "EnvironmentDefaults",
            "Event",
            "HttpPool",
            "HttpRequest",
            "MasterKey",
            "MockTransport",
            "Proxy",
            "PusherClient",
            "Transport",
            "authenticate_user",
            "authorize_channel",
            "batch_answer",
            "batch_request",
            "body_md5",
            "channel_answer",
            "channel_auth",
            "channel_auth_string",
            "channel_request",
            "channels_answer",
            "channels_request",
            "check_batch_size",
            "encode_data",
            "encrypt",
            "hmac_sha256_hex",
            "interpret",
            "limits",
            "publish_answer",
            "rules",
            "same_signature",
            "sign_request",
            "string_to_sign",
            "terminate_answer",
            "terminate_request",
            "trigger_request",
            "user_auth",
            "user_auth_string",
            "user_event",
            "users_answer",
            "users_request",
            "verify_signature",
            "InvalidWebhook",
            "batch_events",
            "transport",
            "variables_for",
            "verify_webhook",
            "webhook_signature",
        },
    )


def test_transport_surface() -> None:
    assert_surface(
        "mesg_pusher.pusher.transport",
        {
            "DEFAULT_CONNECTION_LIMIT",
            "USER_AGENT",
            "Answer",
            "ConnectionBudget",
            "HttpPool",
            "MockTransport",
            "Transport",
        },
    )
