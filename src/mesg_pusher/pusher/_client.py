"""`PusherClient`: the whole Pusher Channels server API for one app, asyncio throughout.

The pure core builds and signs each request, the transport (`HttpPool` by default) carries it,
`interpret` reads the answer; the MESG tasks use the same pieces with per-execution settings.
Settings and errors use Pusher's own words (``app_id``, ``socket_id``, ``info``, ``user_id``);
TLS is on by default and certificates are always verified. A call that fails raises
`PusherHTTPError` (with `status` and `body`) when Pusher answered, `PusherConnectionError` or
`PusherTimeoutError` (with `sent`: whether the request may have reached Pusher) when it did not,
and `InputError` (also a `ValueError`, naming the argument) before anything is sent.
"""

from __future__ import annotations

import os
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .._errors import InputError
from .._secrets import scrub_body
from ._answers import channel_answer, channels_answer, users_answer
from ._browser_auth import authenticate_user, authorize_channel
from ._credentials import SENDING_SETTINGS, EnvironmentDefaults, from_url, variables_for
from ._encryption import MasterKey
from ._limits import NONCE_BYTES
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
    encode_data,
    trigger_request,
    user_event,
)
from ._responses import interpret
from ._settings import DEFAULT_TIMEOUT_MS, App, Connection
from ._webhook import verify_webhook
from .transport import HttpPool, Transport

#: What a client cannot go without.
_APP_SETTINGS = ("app_id", "key", "secret")


def random_nonce() -> bytes:
    """24 bytes from the operating system's randomness: one secretbox nonce."""
    return os.urandom(NONCE_BYTES)


class PusherClient:
    """A Pusher app's client; build it once, share it, close it at the end (or use
    ``async with``).

    The endpoint: `host` wins over `cluster` (``api-<cluster>.pusher.com``), else
    ``api.pusherapp.com``; `tls` (default on) gives ``https`` on port 443 unless `port` says
    otherwise. `timeout_ms` bounds each call from start to answer; `keep_alive` (default on)
    reuses connections; `proxy` is an ``http://`` or ``https://`` proxy URL (credentials
    allowed, never shown). `encryption_master_key` (32 bytes in base64) encrypts the events of
    ``private-encrypted-`` channels and authorizes their subscribers.

    `transport` may be shared between clients (an `HttpPool`, or a `MockTransport` in tests);
    without it the client makes its own, checking certificates with `ssl_context` if given (a
    private CA), and closes it in `close`. `clock` gives Unix seconds (signatures, webhook
    ages) and `nonce` 24 random bytes a call (encryption), so tests may pass their own.
    """

    def __init__(
        self,
        *,
        app_id: str,
        key: str,
        secret: str,
        cluster: str | None = None,
        host: str | None = None,
        port: int | None = None,
        tls: bool = True,
        timeout_ms: float = DEFAULT_TIMEOUT_MS,
        keep_alive: bool = True,
        proxy: str | None = None,
        encryption_master_key: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        transport: Transport | None = None,
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], bytes] = random_nonce,
    ) -> None:
        self.app = App(app_id, key, secret)
        self.connection = Connection.create(
            host=host,
            cluster=cluster,
            tls=tls,
            port=port,
            timeout_ms=timeout_ms,
            keep_alive=keep_alive,
            proxy=proxy,
        )
        self.master_key = (
            MasterKey.from_base64(encryption_master_key) if encryption_master_key else None
        )
        proxy_given = self.connection.proxy
        self._proxy_secrets = proxy_given.secrets if proxy_given is not None else []
        if transport is not None and ssl_context is not None:
            raise InputError("ssl_context", "give it to the transport itself, not beside it")
        self._transport: Transport = (
            transport if transport is not None else HttpPool(ssl_context=ssl_context)
        )
        self._owns_transport = transport is None
        self._clock = clock
        self._nonce = nonce

    @classmethod
    def from_url(cls, url: str, **options: Any) -> PusherClient:
        """A client for the app a Pusher URL names: ``https://KEY:SECRET@HOST[:PORT]/apps/ID``
        (the official SDKs' form, ``PUSHER_URL``'s); `options` as for the constructor."""
        settings = from_url(url, "url")
        given_twice = sorted(set(settings) & set(options))
        if given_twice:
            raise InputError(", ".join(given_twice), "given by the URL, not again beside it")
        return cls(**settings, **options)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> PusherClient:
        """A client configured by the environment (`os.environ` by default): ``PUSHER_URL``
        and the separate variables (``PUSHER_APP_ID``, ``PUSHER_APP_KEY``,
        ``PUSHER_APP_SECRET``, ``PUSHER_CLUSTER``, ``PUSHER_HOST``, ``PUSHER_PORT``,
        ``PUSHER_ENCRYPTED``, ``PUSHER_PROXY``, ``PUSHER_TIMEOUT``, ``PUSHER_KEEPALIVE``,
        ``PUSHER_ENCRYPTION_MASTER_KEY_BASE64``), a separate variable winning over the URL;
        `options` win over both."""
        defaults = EnvironmentDefaults.from_environment(os.environ if environ is None else environ)
        settings = dict(defaults.apply(options))
        for name in SENDING_SETTINGS:  # the MESG service's; this client sends as it is told
            if name not in options:
                settings.pop(name, None)
        for name in _APP_SETTINGS:
            if not settings.get(name):
                raise InputError(name, f"is required: give {name}, or set {variables_for(name)}")
        return cls(**settings)

    async def trigger(
        self,
        channels: str | Sequence[str],
        name: str,
        data: Any,
        *,
        socket_id: str | None = None,
        info: str | Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Publish `data` (a string as it is, anything else as JSON) as event `name` on
        `channels` (1 to 100), except to the connection `socket_id`; with `info`
        (``subscription_count``, ``user_count``), Pusher's answer holds those attributes of
        each channel: ``{"channels": {name: {...}}}``. Pusher's JSON answer."""
        names = (channels,) if isinstance(channels, str) else tuple(channels)
        key = self.master_key
        event = Event.create(
            name,
            encode_data(data),
            names,
            socket_id=socket_id,
            info=_comma_list(info),
            master_key=key,
            nonce=self._nonce() if key is not None else None,
        )
        return await self.send(trigger_request(self.app, event, timestamp=self._timestamp()))

    async def trigger_batch(
        self, batch: Sequence[Mapping[str, Any] | BatchEvent]
    ) -> dict[str, Any]:
        """Publish up to 10 events in one call, each ``{"channel": ..., "name": ..., "data":
        ...}`` with optional ``socket_id`` and ``info``; Pusher's JSON answer (``{"batch":
        [...]}`` when an event asked for `info`)."""
        items = [_info_as_comma_list(item) for item in batch]
        events = batch_events(items, master_key=self.master_key, nonce=self._nonce)
        return await self.send(batch_request(self.app, events, timestamp=self._timestamp()))

    async def channels(
        self,
        *,
        filter_by_prefix: str | None = None,
        info: str | Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """The occupied channels: ``{"channels": {name: {...}}}``, those starting with
        `filter_by_prefix` if given, with the `info` attributes of each (``user_count`` of
        ``presence-`` channels only)."""
        query = ChannelsQuery.create(filter_by_prefix=filter_by_prefix, info=_comma_list(info))
        request = channels_request(self.app, query, timestamp=self._timestamp())
        return channels_answer(await self.send(request))

    async def channel(
        self, channel: str, *, info: str | Sequence[str] | None = None
    ) -> dict[str, Any]:
        """One channel: ``{"occupied": ...}`` and the `info` attributes asked
        (``subscription_count``, ``user_count``, ``cache``) that Pusher returned."""
        query = ChannelQuery.create(channel, info=_comma_list(info))
        request = channel_request(self.app, query, timestamp=self._timestamp())
        return channel_answer(await self.send(request))

    async def users(self, channel: str) -> dict[str, Any]:
        """The members of a ``presence-`` channel: ``{"users": [{"id": ...}, ...]}``."""
        request = users_request(self.app, channel, timestamp=self._timestamp())
        return users_answer(await self.send(request))

    async def send_to_user(self, user_id: str, name: str, data: Any) -> dict[str, Any]:
        """Publish event `name` to every connection signed in as `user_id`."""
        event = user_event(user_id, name, encode_data(data))
        return await self.send(trigger_request(self.app, event, timestamp=self._timestamp()))

    async def terminate_user_connections(self, user_id: str) -> dict[str, Any]:
        """Close every connection signed in as `user_id`."""
        request = terminate_request(self.app, user_id, timestamp=self._timestamp())
        return await self.send(request)

    def authorize_channel(
        self, channel: str, socket_id: str, *, channel_data: Any = None
    ) -> dict[str, str]:
        """What the app's auth endpoint answers pusher-js to let connection `socket_id`
        subscribe to a ``private-`` or ``presence-`` channel (``channel_data``: ``user_id``
        and optional ``user_info``, for a presence channel); for a ``private-encrypted-``
        channel, with its key as ``shared_secret``. No network call."""
        return authorize_channel(
            key=self.app.key,
            secret=self.app.secret,
            socket_id=socket_id,
            channel=channel,
            channel_data=channel_data,
            master_key=self.master_key,
        )

    def authenticate_user(self, socket_id: str, user_data: Mapping[str, Any]) -> dict[str, str]:
        """What the app's sign-in endpoint answers pusher-js to sign connection `socket_id` in
        as ``user_data["id"]``. No network call."""
        return authenticate_user(
            key=self.app.key, secret=self.app.secret, socket_id=socket_id, user_data=user_data
        )

    def verify_webhook(
        self, key: str | None, signature: str | None, body: bytes | str
    ) -> dict[str, Any]:
        """The webhook's body as JSON (``time_ms``, ``events``) if this app's Pusher sent it:
        `key` and `signature` are its ``X-Pusher-Key`` and ``X-Pusher-Signature`` headers.
        Raises `InvalidWebhook` saying which check failed."""
        return verify_webhook(self.app, key, signature, body, now_ms=self._clock() * 1000)

    async def send(self, request: HttpRequest) -> dict[str, Any]:
        """Send a request the core built and signed; Pusher's JSON answer."""
        status, body = await self._transport.send(self.connection, request)
        via = self.connection.via
        if via is not None and self._proxy_secrets:
            # A plain-HTTP proxy's own answer may echo the request, its credentials with it.
            body = scrub_body(body, self._proxy_secrets)
        return interpret(status, body, via)

    def _timestamp(self) -> int:
        return int(self._clock())

    async def close(self) -> None:
        """Close the transport, if this client made it."""
        if self._owns_transport:
            await self._transport.close()

    async def __aenter__(self) -> PusherClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def _info_as_comma_list(item: Mapping[str, Any] | BatchEvent) -> Mapping[str, Any] | BatchEvent:
    """A batch event whose ``info`` is a list of names, with it as the comma list Pusher takes
    (as `trigger`'s `info`); any other item as it is (the core judges it)."""
    if not isinstance(item, Mapping):
        return item
    info = item.get("info")
    if isinstance(info, list | tuple) and all(isinstance(name, str) for name in info):
        return {**item, "info": _comma_list(info)}
    return item


def _comma_list(value: str | Sequence[str] | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return ",".join(value)
