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
            "App",
            "BatchEvent",
            "Connection",
            "Event",
            "HttpPool",
            "HttpRequest",
            "Proxy",
            "PusherClient",
            "batch_request",
            "body_md5",
            "channel_auth",
            "channel_auth_string",
            "check_batch_size",
            "encode_data",
            "hmac_sha256_hex",
            "interpret",
            "limits",
            "rules",
            "sign_request",
            "string_to_sign",
            "trigger_request",
            "user_auth",
            "user_auth_string",
            "verify_signature",
        },
    )
