"""A Pusher Channels HTTP API client: `PusherClient` for Python programs, on a pure core
(settings, limits, signing, requests, queries, answers, encryption, browser authorizations,
webhook checks, settings from the environment) and the transport that carries its requests
(`transport`: `HttpPool` for every connection, plain or TLS, direct or through a proxy;
`MockTransport` for tests). Names and errors are Pusher's words; the MESG tasks map them to
their inputs."""

from . import _limits as limits
from . import _validate as rules
from . import transport
from ._answers import (
    batch_answer,
    channel_answer,
    channels_answer,
    publish_answer,
    terminate_answer,
    users_answer,
)
from ._browser_auth import authenticate_user, authorize_channel
from ._client import PusherClient
from ._credentials import (
    ENVIRONMENT_VARIABLES,
    EnvironmentDefaults,
    variables_for,
)
from ._encryption import MASTER_KEY, MasterKey, encrypt
from ._queries import (
    ChannelQuery,
    ChannelsQuery,
    channel_request,
    channels_request,
    terminate_request,
    users_request,
)
from ._requests import (
    BatchEvent,
    Event,
    HttpRequest,
    batch_events,
    batch_request,
    check_batch_size,
    encode_data,
    trigger_request,
    user_event,
)
from ._responses import interpret
from ._settings import DEFAULT_HOST, DEFAULT_TIMEOUT_MS, App, Connection, Proxy
from ._signing import (
    AUTH_VERSION,
    body_md5,
    channel_auth,
    channel_auth_string,
    hmac_sha256_hex,
    same_signature,
    sign_request,
    string_to_sign,
    user_auth,
    user_auth_string,
    verify_signature,
    webhook_signature,
)
from ._webhook import InvalidWebhook, verify_webhook
from .transport import HttpPool, MockTransport, Transport

__all__ = [
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
    "InvalidWebhook",
    "MasterKey",
    "MockTransport",
    "Proxy",
    "PusherClient",
    "Transport",
    "authenticate_user",
    "authorize_channel",
    "batch_answer",
    "batch_events",
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
    "transport",
    "trigger_request",
    "user_auth",
    "user_auth_string",
    "user_event",
    "users_answer",
    "users_request",
    "variables_for",
    "verify_signature",
    "verify_webhook",
    "webhook_signature",
]
