"""Who to publish as and where to send it: app credentials and connection settings.

Both are frozen value objects checked when built, so a bad one cannot exist. Host resolution
follows the Pusher SDKs: an explicit host wins over a cluster, a cluster gives
``api-<cluster>.pusher.com``, and without either the legacy default ``api.pusherapp.com``.
An error names the setting as these classes do (``app_id``, ``timeout_ms``), Pusher's words.
"""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import quote, unquote, urlsplit

from .._errors import InputError
from .._secrets import MAX_SECRET_CHARS, basic_credentials, proxy_secrets
from .._text import cut

DEFAULT_HOST: Final = "api.pusherapp.com"
DEFAULT_TIMEOUT_MS: Final = 30_000
HTTP_PORT: Final = 80
HTTPS_PORT: Final = 443
MAX_PORT: Final = 65535
#: Longest timeout accepted: one day, in milliseconds.
MAX_TIMEOUT_MS: Final = 86_400_000

_URL_SAFE = re.compile(r"[A-Za-z0-9._~-]+")
_CLUSTER = re.compile(r"[A-Za-z0-9-]+")
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")
#: Longest IPv6 zone id (``[fe80::1%eth0]``): a network interface's name or number.
MAX_ZONE_ID_LENGTH: Final = 15
# Characters a URL may carry unescaped: an interface name or number needs no others, and CR LF,
# spaces, "@", "?", ":", "/" or "]" there would change what the URL says.
_ZONE_ID = re.compile(rf"[A-Za-z0-9._~-]{{1,{MAX_ZONE_ID_LENGTH}}}")


@dataclass(frozen=True, slots=True)
class App:
    """A Pusher app's credentials. The secret is kept out of `repr`."""

    app_id: str
    key: str
    secret: str = field(repr=False)

    def __post_init__(self) -> None:
        _url_safe(self.app_id, "app_id", "an app id")
        _url_safe(self.key, "key", "an app key")
        if not self.secret:
            raise InputError("secret", "an app secret must not be empty")
        if len(self.secret) > MAX_SECRET_CHARS:
            raise InputError("secret", f"an app secret is at most {MAX_SECRET_CHARS} characters")
        unicode_text(self.secret, "secret", "an app secret")

    @property
    def events_path(self) -> str:
        return f"/apps/{self.app_id}/events"

    @property
    def batch_events_path(self) -> str:
        return f"/apps/{self.app_id}/batch_events"


@dataclass(frozen=True, slots=True)
class Proxy:
    """An HTTP proxy. `url` carries no credentials; `redacted` is the form safe to print."""

    url: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def scheme(self) -> str:
        return self.url.split("://", 1)[0]

    @property
    def host(self) -> str:
        """The proxy's host, an IPv6 address in brackets."""
        return _bracketed(urlsplit(self.url).hostname or "")

    @property
    def port(self) -> int:
        """The proxy's port: the URL's, or its scheme's default."""
        return urlsplit(self.url).port or (HTTPS_PORT if self.scheme == "https" else HTTP_PORT)

    @classmethod
    def from_url(cls, text: str, where: str = "proxy") -> Proxy:
        try:
            parts = urlsplit(text)
            port = parts.port
        except ValueError:
            # urlsplit's message can quote a password taken for a port, so it is not passed on.
            raise InputError(
                where, "not a valid proxy URL (a port is a whole number from 1 to 65535)"
            ) from None
        if parts.scheme not in ("http", "https"):
            raise InputError(
                where, "a proxy URL starts with http:// or https:// (like http://proxy:3128)"
            )
        if not parts.hostname:
            raise InputError(where, "a proxy URL needs a host (like http://proxy:3128)")
        _host(_bracketed(parts.hostname), where)
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise InputError(where, "a proxy URL has no path, query or fragment")
        if port == 0:
            raise InputError(where, "a proxy port is between 1 and 65535")
        netloc = _bracketed(parts.hostname) + (f":{port}" if port is not None else "")
        username = unquote(parts.username) if parts.username is not None else None
        password = unquote(parts.password) if parts.password is not None else None
        for credential in (username, password):
            if credential is not None:
                unicode_text(credential, where, "proxy credentials")
                if len(credential) > MAX_SECRET_CHARS:
                    rule = f"a proxy user name or password is at most {MAX_SECRET_CHARS} characters"
                    raise InputError(where, rule)
        return cls(f"{parts.scheme}://{netloc}", username, password)

    @property
    def redacted(self) -> str:
        """The URL with its password as ``***``, and its user name too when it is the
        credential (``http://APIKEY:@proxy``: no password)."""
        if self.username is None:
            return self.url
        scheme, rest = self.url.split("://", 1)
        if self.password == "":
            return f"{scheme}://***:@{rest}"
        secret = ":***" if self.password is not None else ""
        return f"{scheme}://{quote(self.username, safe='')}{secret}@{rest}"

    @property
    def secrets(self) -> list[str]:
        """What of the credentials must never be shown, in the forms the proxy may echo."""
        return proxy_secrets(self.username, self.password)

    @property
    def authorization(self) -> str | None:
        """The ``Proxy-Authorization`` header value, if the URL carried credentials."""
        if self.username is None:
            return None
        return "Basic " + basic_credentials(f"{self.username}:{self.password or ''}")


@dataclass(frozen=True, slots=True)
class Connection:
    """Where and how requests go. Build it with `Connection.create`, which resolves defaults."""

    scheme: str
    host: str
    port: int
    timeout_ms: float = DEFAULT_TIMEOUT_MS
    keep_alive: bool = False
    proxy: Proxy | None = None
    base_url: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.scheme not in ("http", "https"):
            raise InputError("scheme", "the scheme is http or https")
        _host(self.host, "host")
        _port(self.port, "port")
        _timeout(self.timeout_ms, "timeout_ms")
        object.__setattr__(self, "base_url", f"{self.scheme}://{self.host}:{self.port}")

    @property
    def via(self) -> str | None:
        """The proxy, printable, whose own answers may stand in for Pusher's: through a plain-HTTP
        proxy (not a tunnel) a refusal can come from the proxy itself."""
        if self.proxy is None or self.scheme != "http":
            return None
        return self.proxy.redacted

    @classmethod
    def create(
        cls,
        *,
        host: str | None = None,
        cluster: str | None = None,
        tls: bool = False,
        port: float | None = None,
        timeout_ms: float | None = None,
        keep_alive: bool = False,
        proxy: str | Proxy | None = None,
    ) -> Connection:
        """The settings, defaults resolved; an empty string counts as not given. `tls` says
        ``https`` (on port 443 unless `port` says otherwise)."""
        if host:
            resolved = host
        elif cluster:
            if _CLUSTER.fullmatch(cluster) is None:
                raise InputError(
                    "cluster", "a cluster name uses only letters, digits and '-' (like eu, mt1)"
                )
            resolved = f"api-{cluster}.pusher.com"
        else:
            resolved = DEFAULT_HOST
        chosen_port = (HTTPS_PORT if tls else HTTP_PORT) if port is None else _port(port, "port")
        if isinstance(proxy, str):
            proxy = Proxy.from_url(proxy) if proxy else None
        return cls(
            scheme="https" if tls else "http",
            host=resolved,
            port=chosen_port,
            timeout_ms=DEFAULT_TIMEOUT_MS if timeout_ms is None else timeout_ms,
            keep_alive=keep_alive,
            proxy=proxy,
        )


def _url_safe(value: str, where: str, what: str) -> None:
    if not value:
        raise InputError(where, f"{what} must not be empty")
    if _URL_SAFE.fullmatch(value) is None:
        raise InputError(where, f"{what} uses only letters, digits and . _ ~ -")


def _bracketed(hostname: str) -> str:
    return f"[{hostname}]" if ":" in hostname else hostname


def _host(host: str, where: str) -> None:
    rule = "a host name without scheme, port or path (like api-eu.pusher.com or 127.0.0.1)"
    if host.startswith("[") and host.endswith("]"):
        address, percent, zone = host[1:-1].partition("%")
        if percent and _ZONE_ID.fullmatch(zone) is None:
            raise InputError(
                where,
                f"an IPv6 zone id (after %) is 1 to {MAX_ZONE_ID_LENGTH} letters, digits "
                "and . _ ~ - (like [fe80::1%eth0])",
            )
        try:
            ipaddress.IPv6Address(address)
        except ValueError:
            raise InputError(where, rule) from None
        return
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    if len(host) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise InputError(where, rule)


def _port(port: float, where: str) -> int:
    if isinstance(port, bool) or not isinstance(port, int | float):
        raise InputError(where, "a port is a number")
    # Integers are compared as they are: JSON integers can be far beyond what a float holds.
    whole = isinstance(port, int) or (math.isfinite(port) and port.is_integer())
    if not whole or not 1 <= port <= MAX_PORT:
        raise InputError(
            where, f"a port is a whole number from 1 to {MAX_PORT} (got {_number(port)})"
        )
    return int(port)


def _timeout(timeout_ms: float, where: str) -> None:
    if isinstance(timeout_ms, bool) or not isinstance(timeout_ms, int | float):
        raise InputError(where, "a timeout is a number of milliseconds")
    finite = isinstance(timeout_ms, int) or math.isfinite(timeout_ms)
    if not finite or not 0 < timeout_ms <= MAX_TIMEOUT_MS:
        raise InputError(
            where,
            f"a timeout is a number of milliseconds above 0 and at most {MAX_TIMEOUT_MS} "
            f"(got {_number(timeout_ms)})",
        )


def _number(value: float) -> str:
    """A number as a message shows it: short, whatever its size."""
    if isinstance(value, int):
        text = str(value)
        return text if len(text) <= 20 else f"{cut(text, 8)} ({len(text)} digits)"
    return f"{value:g}"


def unicode_text(value: str, where: str, what: str) -> None:
    """`value` can be written as UTF-8: JSON text may carry lone surrogates (``\\ud800``),
    which cannot be signed or sent."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        rule = f"{what} must be valid Unicode text (it holds a lone surrogate)"
        raise InputError(where, rule) from None
