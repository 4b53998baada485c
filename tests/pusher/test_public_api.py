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
            "MASTER_KEY_INPUT",
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
            "Proxy",
            "PusherClient",
            "authenticate_user",
            "authorize_channel",
            "batch_answer",
            "batch_request",
            "body_md5",
            "channel_answer",
            "channel_auth",
            "channel_request",
            "channels_answer",
            "channels_request",
            "check_batch_size",
            "encode_data",
            "encrypt",
            "hmac_sha256_hex",
            "interpret",
            "limits",
            "missing_input",
            "publish_answer",
            "require_inputs",
            "rules",
            "sign_request",
            "string_to_sign",
            "terminate_answer",
            "terminate_request",
            "trigger_request",
            "user_auth",
            "user_event",
            "users_answer",
            "users_request",
            "verify_signature",
        },
    )
