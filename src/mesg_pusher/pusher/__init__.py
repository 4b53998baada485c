"""A Pusher Channels HTTP API client: a pure core (settings, limits, signing, requests,
responses) and the transports that carry its requests (`Transport`: `HttpPool` over the lean
plain-HTTP edge and aiohttp, `MockTransport` for tests)."""

from . import _limits as limits
from . import _validate as rules
from ._client import PusherClient
from ._http import HttpPool
from ._requests import (
    BatchEvent,
    Event,
    HttpRequest,
    batch_request,
    check_batch_size,
    encode_data,
    trigger_request,
)
from ._responses import interpret
from ._settings import DEFAULT_HOST, DEFAULT_TIMEOUT_MS, App, Connection, Proxy
from ._signing import (
    AUTH_VERSION,
    body_md5,
    channel_auth,
    hmac_sha256_hex,
    sign_request,
    string_to_sign,
    user_auth,
    verify_signature,
)
from ._transport import MockTransport, Transport

__all__ = [
    "AUTH_VERSION",
    "DEFAULT_HOST",
    "DEFAULT_TIMEOUT_MS",
    "App",
    "BatchEvent",
    "Connection",
    "Event",
    "HttpPool",
    "HttpRequest",
    "MockTransport",
    "Proxy",
    "PusherClient",
    "Transport",
    "batch_request",
    "body_md5",
    "channel_auth",
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
    "verify_signature",
]
