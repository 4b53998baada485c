"""A Pusher Channels HTTP API client: a pure core (settings, limits, signing, requests, queries,
answers, encryption, browser authorizations, credentials from the environment) and the
transports that carry its requests (`Transport`: `HttpPool` over the lean plain-HTTP edge and
aiohttp, `MockTransport` for tests)."""

from .._secrets import MASTER_KEY_INPUT
from . import _limits as limits
from . import _validate as rules
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
    missing_input,
    require_inputs,
)
from ._encryption import MasterKey, encrypt
from ._http import HttpPool
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
    sign_request,
    string_to_sign,
    user_auth,
    user_auth_string,
    verify_signature,
)
from ._transport import MockTransport, Transport

__all__ = [
    "AUTH_VERSION",
    "DEFAULT_HOST",
    "DEFAULT_TIMEOUT_MS",
    "ENVIRONMENT_VARIABLES",
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
    "user_auth_string",
    "user_event",
    "users_answer",
    "users_request",
    "verify_signature",
]
