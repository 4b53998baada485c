"""Settings from the environment, as the official SDKs' variables and ``PUSHER_URL`` give them;
pure, the environment passed in as a mapping.

Each setting has a variable (``secret`` has ``PUSHER_APP_SECRET``, ...), and ``PUSHER_URL``
(``http[s]://KEY:SECRET@HOST[:PORT]/apps/APP_ID``) gives several at once. For each setting the
caller's own value wins, then its variable, then ``PUSHER_URL``; empty values count as not
given. Two rules keep a mix of sources meaning what each says: ``host`` and ``cluster`` are one
choice (a source that gives either gives the endpoint, so a caller's ``cluster`` is not
overridden by ``PUSHER_HOST``), and the port and scheme of ``PUSHER_URL`` come only with its
host. Every variable is checked when read, by the same rules as its setting, and a bad one is an
`InputError` naming the variable; no message quotes a value.

Settings are named as `PusherClient` names them (``app_id``, ``tls``, ``timeout_ms``,
``keep_alive``, ``encryption_master_key``); a caller that keeps them under other names (the MESG
tasks' inputs) says which with `names`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from .._errors import InputError
from . import _validate
from ._encryption import MASTER_KEY, MasterKey
from ._limits import BATCH_EVENTS_CEILING, DATA_BYTES_CEILING, MAX_RETRIES
from ._settings import App, Connection, Proxy

#: Each setting and the variable that gives its default.
VARIABLES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "app_id": "PUSHER_APP_ID",
        "key": "PUSHER_APP_KEY",
        "secret": "PUSHER_APP_SECRET",
        "cluster": "PUSHER_CLUSTER",
        "host": "PUSHER_HOST",
        "port": "PUSHER_PORT",
        "tls": "PUSHER_ENCRYPTED",
        "proxy": "PUSHER_PROXY",
        "timeout_ms": "PUSHER_TIMEOUT",
        "keep_alive": "PUSHER_KEEPALIVE",
        MASTER_KEY: "PUSHER_ENCRYPTION_MASTER_KEY_BASE64",
        "retries": "PUSHER_RETRIES",
        "max_data_bytes": "PUSHER_MAX_DATA_BYTES",
        "max_batch_events": "PUSHER_MAX_BATCH_EVENTS",
    }
)
#: The settings above that say how a caller sends rather than where: the MESG service's retries
#: and raised limits. `PusherClient` takes none of them.
SENDING_SETTINGS: Final = ("retries", "max_data_bytes", "max_batch_events")
URL_VARIABLE: Final = "PUSHER_URL"
#: Every variable read for the defaults.
ENVIRONMENT_VARIABLES: Final = (*VARIABLES.values(), URL_VARIABLE)
#: The settings `PUSHER_URL` can give.
URL_SETTINGS: Final = ("app_id", "key", "secret", "host", "port", "tls")
_ENDPOINT: Final = ("host", "cluster")
#: What `PUSHER_URL` says only of its own host.
_URL_ENDPOINT_PARTS: Final = ("port", "tls")
_URL_FORM: Final = "a Pusher URL looks like https://KEY:SECRET@HOST[:PORT]/apps/APP_ID"
_APP_PATH: Final = re.compile(r"/apps/([^/]+)/?")
_WHOLE: Final = re.compile(r"[0-9]+")
_DECIMAL: Final = re.compile(r"[0-9]+(\.[0-9]+)?")
_BOOLEANS: Final = {"true": True, "1": True, "false": False, "0": False}


@dataclass(frozen=True, slots=True)
class EnvironmentDefaults:
    """Defaults for the settings: from the separate variables, and from ``PUSHER_URL``. Values
    are typed as the settings are (``port`` a number, ``tls`` a boolean). The values hold the
    app secret, so `repr` shows only which settings have a default."""

    variables: Mapping[str, Any] = field(default_factory=dict, repr=False)
    url: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        return f"EnvironmentDefaults(variables={sorted(self.variables)}, url={sorted(self.url)})"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> EnvironmentDefaults:
        """The defaults `environ` gives; an `InputError` naming the first bad variable."""
        variables: dict[str, Any] = {}
        for setting, variable in VARIABLES.items():
            text = environ.get(variable)
            if text:
                variables[setting] = _READERS[setting](text, variable)
        url = environ.get(URL_VARIABLE)
        return cls(MappingProxyType(variables), MappingProxyType(from_url(url) if url else {}))

    def __bool__(self) -> bool:
        return bool(self.variables or self.url)

    def apply(
        self, given: Mapping[str, Any], names: Mapping[str, str] = MappingProxyType({})
    ) -> Mapping[str, Any]:
        """`given` with the defaults filled in where a setting is not given; `given` itself
        (never changed) when there is nothing to add. `names` maps a setting to the key that
        `given` holds it under, where they differ (the tasks' ``appId`` for ``app_id``)."""
        if not self:
            return given
        merged = dict(given)

        def value(setting: str) -> Any:
            return given.get(names.get(setting, setting))

        def put(setting: str, source: Mapping[str, Any]) -> None:
            merged[names.get(setting, setting)] = source[setting]

        url_endpoint = False
        if not any(_given(value(name)) for name in _ENDPOINT):
            source = self.variables if any(n in self.variables for n in _ENDPOINT) else self.url
            for name in _ENDPOINT:
                if name in source:
                    put(name, source)
            url_endpoint = source is self.url and "host" in self.url
        for name in VARIABLES:
            if name in _ENDPOINT or _given(value(name)):
                continue
            if name in self.variables:
                put(name, self.variables)
            elif name in self.url and (url_endpoint or name not in _URL_ENDPOINT_PARTS):
                put(name, self.url)
        return merged


def variables_for(setting: str) -> str:
    """The variables that can give `setting`, as a message names them
    (``PUSHER_APP_ID or PUSHER_URL``)."""
    return VARIABLES[setting] + (f" or {URL_VARIABLE}" if setting in URL_SETTINGS else "")


def _given(value: Any) -> bool:
    return value is not None and value != ""


def _renamed(variable: str, check: Callable[[], object]) -> None:
    """Run a setting's own rule on a variable's value, naming the variable if it fails."""
    try:
        check()
    except InputError as error:
        raise InputError(variable, error.rule) from None


def _text(build: Callable[[str], object]) -> Callable[[str, str], str]:
    def read(text: str, variable: str) -> str:
        _renamed(variable, lambda: build(text))
        return text

    return read


def _port(text: str, variable: str) -> int:
    if _WHOLE.fullmatch(text) is None:
        raise InputError(variable, "a port is a whole number from 1 to 65535")
    port = int(text)
    _renamed(variable, lambda: Connection.create(port=port))
    return port


def _timeout(text: str, variable: str) -> float:
    if _DECIMAL.fullmatch(text) is None:
        raise InputError(variable, "a timeout is a number of milliseconds (like 5000)")
    timeout: float = int(text) if _WHOLE.fullmatch(text) else float(text)
    _renamed(variable, lambda: Connection.create(timeout_ms=timeout))
    return timeout


def _boolean(text: str, variable: str) -> bool:
    value = _BOOLEANS.get(text.lower())
    if value is None:
        raise InputError(variable, "is true or false")
    return value


def _whole(low: int, high: int) -> Callable[[str, str], int]:
    def read(text: str, variable: str) -> int:
        if _WHOLE.fullmatch(text) is None or len(text) > len(str(high)):
            raise InputError(variable, f"a whole number from {low} to {high} is expected")
        return _validate.whole_number(int(text), variable, low, high)

    return read


def _master_key(text: str, variable: str) -> str:
    MasterKey.from_base64(text, variable)
    return text


def _proxy(text: str, variable: str) -> str:
    Proxy.from_url(text, variable)
    return text


# The rules are the settings' own: an app id, key or secret is checked as `App` checks it.
_READERS: Final[Mapping[str, Callable[[str, str], Any]]] = MappingProxyType(
    {
        "app_id": _text(lambda v: App(v, "key", "secret")),
        "key": _text(lambda v: App("0", v, "secret")),
        "secret": _text(lambda v: App("0", "key", v)),
        "cluster": _text(lambda v: Connection.create(cluster=v)),
        "host": _text(lambda v: Connection.create(host=v)),
        "port": _port,
        "tls": _boolean,
        "proxy": _proxy,
        "timeout_ms": _timeout,
        "keep_alive": _boolean,
        MASTER_KEY: _master_key,
        "retries": _whole(0, MAX_RETRIES),
        "max_data_bytes": _whole(1, DATA_BYTES_CEILING),
        "max_batch_events": _whole(1, BATCH_EVENTS_CEILING),
    }
)


def from_url(text: str, where: str = URL_VARIABLE) -> dict[str, Any]:
    """The settings a Pusher URL gives. Read as a URL (an IPv6 host in brackets, the port after
    it); the key and secret may be percent-encoded. An error names `where` and quotes no part
    of the URL."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InputError(
            where,
            f"{_URL_FORM}, with characters such as @ / : # in the key or secret "
            "percent-encoded; this one cannot be read as a URL",
        ) from None
    if parts.scheme not in ("http", "https"):
        raise InputError(where, f"{_URL_FORM}; it starts with http:// or https://")
    if not parts.username or not parts.password:
        raise InputError(where, f"{_URL_FORM}; it has no KEY:SECRET@ before the host")
    if not parts.hostname:
        raise InputError(where, f"{_URL_FORM}; it has no host")
    path = _APP_PATH.fullmatch(parts.path)
    if path is None or parts.query or parts.fragment:
        raise InputError(where, f"{_URL_FORM}; its path is /apps/APP_ID, and nothing after")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    values: dict[str, Any] = {
        "app_id": unquote(path.group(1)),
        "key": unquote(parts.username),
        "secret": unquote(parts.password),
        "host": host,
        "tls": parts.scheme == "https",
    }
    if port is not None:
        values["port"] = port
    for name in ("app_id", "key", "secret", "host"):
        _READERS[name](values[name], where)
    if port is not None:
        _renamed(where, lambda: Connection.create(port=port))
    return values
