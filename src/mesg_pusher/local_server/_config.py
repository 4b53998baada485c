"""What a local server serves: its apps, their options and its limits, one frozen value built
once.

The limits default to Pusher's multi-tenant ones; dedicated-cluster users can raise the data size
and batch length to what their contract says. Apps reuse the client's `App` credentials; what
Pusher's dashboard switches on per app (client events, authorized connections, subscription
counting) is an app's `AppOptions`, off by default as on a new Pusher app.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final
from urllib.parse import urlsplit

from .._errors import InputError
from ..pusher import App, limits
from ._fault_injection import Fault

#: The address the local server listens on unless told another (Pusher's API host is
#: `pusher.DEFAULT_HOST`).
DEFAULT_LISTEN_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 6001
#: The app served when none is given: fixed, well-known test credentials, never a user's.
DEFAULT_APP: Final = App(app_id="1", key="local-key", secret="local-secret")  # noqa: S106
#: Seconds without a message from a client before the server pings it (Pusher uses 120).
DEFAULT_ACTIVITY_TIMEOUT: Final = 120.0
#: Seconds a pinged client has to answer before it is disconnected with 4201.
DEFAULT_PONG_TIMEOUT: Final = 30.0
#: Members a presence channel may hold, as on Pusher.
MAX_PRESENCE_MEMBERS: Final = 100
#: API messages and connection changes the debug console keeps for a page that opens late.
DEFAULT_DEBUG_HISTORY: Final = 500
#: Seconds channel_vacated and member_removed webhooks wait, as Pusher's do (about 3 s).
DEFAULT_WEBHOOK_DELAY: Final = 3.0
#: Seconds a webhook is retried for until a 2xx answer (Pusher retries for five minutes).
DEFAULT_WEBHOOK_RETRY_FOR: Final = 300.0
#: Seconds webhook events are batched for, from the first one (Pusher: 250 ms).
DEFAULT_WEBHOOK_BATCH_WINDOW: Final = 0.25
#: Seconds a cache channel keeps its last event (Pusher: up to 30 minutes).
DEFAULT_CACHE_TTL: Final = 1800.0
#: Seconds a connection of an app with ``user-auth`` has to sign in (Pusher: 30).
DEFAULT_SIGNIN_TIMEOUT: Final = 30.0
#: The longest any of the server's durations may be.
MAX_SECONDS: Final = 86_400.0

#: ``--app ID:KEY:SECRET:OPTIONS``: the option names, as Pusher's dashboard settings.
CLIENT_EVENTS: Final = "client-events"
USER_AUTH: Final = "user-auth"
SUBSCRIPTION_COUNT: Final = "subscription-count"
APP_OPTIONS: Final = (CLIENT_EVENTS, SUBSCRIPTION_COUNT, USER_AUTH)
#: What an options part looks like (lower-case words joined by hyphens, comma-separated), to
#: tell a mistyped option from a secret that holds a colon.
_OPTIONS_LIKE: Final = re.compile(r"[a-z]+(-[a-z]+)+(,[a-z]+(-[a-z]+)*)*")


@dataclass(frozen=True, slots=True)
class AppOptions:
    """What Pusher's dashboard switches on per app; all off by default, as on a new app."""

    #: Clients may send ``client-`` events (else refused with Pusher's error).
    client_events: bool = False
    #: Connections must sign in within `ServerSettings.signin_timeout` (Pusher's "authorized
    #: connections"), else they are closed with 4009.
    user_auth: bool = False
    #: ``pusher_internal:subscription_count`` frames and ``subscription_count`` webhooks.
    subscription_count: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        """The ``--app`` option names that are on."""
        on = (self.client_events, self.subscription_count, self.user_auth)
        return tuple(name for name, enabled in zip(APP_OPTIONS, on, strict=True) if enabled)


#: Every option on: what a test that exercises them all serves.
ALL_OPTIONS: Final = AppOptions(client_events=True, user_auth=True, subscription_count=True)


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Apps and limits of one local server."""

    apps: tuple[App, ...] = (DEFAULT_APP,)
    max_data_bytes: int = limits.MAX_DATA_BYTES
    max_batch_events: int = limits.MAX_EVENTS_PER_BATCH
    max_channels_per_event: int = limits.MAX_CHANNELS_PER_EVENT
    max_presence_members: int = MAX_PRESENCE_MEMBERS
    signature_window: int = limits.SIGNATURE_WINDOW_SECONDS
    activity_timeout: float = DEFAULT_ACTIVITY_TIMEOUT
    pong_timeout: float = DEFAULT_PONG_TIMEOUT
    debug_history: int = DEFAULT_DEBUG_HISTORY
    #: Host names the debug console answers to besides loopback and the server's addresses
    #: (a machine name it is reached by on a network).
    console_hosts: tuple[str, ...] = ()
    #: URLs that receive the apps' webhooks (none: no webhook is sent).
    webhooks: tuple[str, ...] = ()
    webhook_delay: float = DEFAULT_WEBHOOK_DELAY
    webhook_retry_for: float = DEFAULT_WEBHOOK_RETRY_FOR
    webhook_batch_window: float = DEFAULT_WEBHOOK_BATCH_WINDOW
    cache_ttl: float = DEFAULT_CACHE_TTL
    #: Options of each app, by app id; an app not listed has them all off.
    app_options: Mapping[str, AppOptions] = field(default_factory=dict, hash=False)
    #: Messages each app may send per day (None: no quota); past it the HTTP API answers 403.
    quota: int | None = None
    #: Apps whose HTTP API answers 403 and whose connections are refused (4003), by app id.
    disabled: frozenset[str] = frozenset()
    signin_timeout: float = DEFAULT_SIGNIN_TIMEOUT
    #: Faults injected on demand, and the seed of their random draws.
    faults: tuple[Fault, ...] = ()
    fault_seed: int = 0
    _by_id: dict[str, App] = field(init=False, repr=False, compare=False)
    _by_key: dict[str, App] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.apps:
            raise InputError("apps", "a local server serves at least one app")
        by_id = {app.app_id: app for app in self.apps}
        by_key = {app.key: app for app in self.apps}
        if len(by_id) != len(self.apps):
            raise InputError("apps", "two apps share one app id")
        if len(by_key) != len(self.apps):
            raise InputError("apps", "two apps share one key")
        for name in ("max_data_bytes", "max_batch_events", "max_channels_per_event"):
            if getattr(self, name) < 1:
                raise InputError(name, "must be at least 1")
        # A day at most: beyond it no test waits, and infinity breaks the clock's arithmetic.
        for name in ("activity_timeout", "pong_timeout", "cache_ttl", "signin_timeout"):
            if not 0 < getattr(self, name) <= MAX_SECONDS:
                raise InputError(
                    name, f"must be a positive number of seconds, {MAX_SECONDS:g} at most"
                )
        for url in self.webhooks:
            check_webhook_url(url)
        for name in ("webhook_delay", "webhook_retry_for", "webhook_batch_window"):
            if not 0 <= getattr(self, name) <= MAX_SECONDS:
                raise InputError(name, f"must be 0 or more seconds, {MAX_SECONDS:g} at most")
        for app_id in (*self.app_options, *sorted(self.disabled)):
            if app_id not in by_id:
                which = "disabled" if app_id in self.disabled else "app_options"
                raise InputError(which, f"app id {app_id} is not one of the apps served")
        if self.quota is not None and self.quota < 1:
            raise InputError("quota", "must be at least 1 message a day")
        kinds = [fault.kind for fault in self.faults]
        if len(set(kinds)) != len(kinds):
            raise InputError("faults", "a kind of fault is given once")
        object.__setattr__(self, "app_options", MappingProxyType(dict(self.app_options)))
        object.__setattr__(self, "disabled", frozenset(self.disabled))
        object.__setattr__(self, "_by_id", by_id)
        object.__setattr__(self, "_by_key", by_key)

    def app_by_id(self, app_id: str) -> App | None:
        return self._by_id.get(app_id)

    def app_by_key(self, key: str) -> App | None:
        return self._by_key.get(key)

    def options_of(self, app_id: str) -> AppOptions:
        return self.app_options.get(app_id, _NO_OPTIONS)


_NO_OPTIONS: Final = AppOptions()


def parse_app(spec: str) -> tuple[App, AppOptions]:
    """An app and its options from ``ID:KEY:SECRET[:OPTION,...]``. The secret may itself hold
    colons: the part after the last one is read as options only when it is a list of option
    names, and refused when it looks like one with a name misspelt (never quoted: it might be
    the end of a secret)."""
    app_id, sep1, rest = spec.partition(":")
    key, sep2, secret = rest.partition(":")
    if not (sep1 and sep2 and app_id and key and secret):
        raise InputError("--app", "expected ID:KEY:SECRET[:OPTIONS], three non-empty parts")
    options = AppOptions()
    head, sep3, last = secret.rpartition(":")
    if sep3 and head:
        names = last.split(",")
        if all(name in APP_OPTIONS for name in names):
            secret = head
            options = AppOptions(
                client_events=CLIENT_EVENTS in names,
                user_auth=USER_AUTH in names,
                subscription_count=SUBSCRIPTION_COUNT in names,
            )
        elif _OPTIONS_LIKE.fullmatch(last):
            raise InputError(
                "--app",
                f"the options after the secret are {', '.join(APP_OPTIONS)}, comma-separated; "
                "one of those given is not an option",
            )
    return App(app_id=app_id, key=key, secret=secret), options


def url_host(host: str) -> str:
    """`host` as a URL or ``host:port`` writes it: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host else host


def check_webhook_url(url: str) -> str:
    """`url` if webhooks can be POSTed to it: ``http://`` or ``https://`` with a host."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it checks it
    except ValueError:
        raise InputError("webhooks", "expected an http:// or https:// URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError("webhooks", "expected an http:// or https:// URL with a host")
    return url
