"""Defaults for the connection inputs from the service's environment; pure, the environment
passed in as a mapping.

Each connection input has a variable (``secret`` has ``PUSHER_APP_SECRET``, ...), and
``PUSHER_URL`` (``http[s]://KEY:SECRET@HOST[:PORT]/apps/APP_ID``) gives several at once. For
each input the execution's own value wins, then its variable, then ``PUSHER_URL``; empty values
count as not given. Two rules keep a mix of sources meaning what each says: ``host`` and
``cluster`` are one choice (a source that gives either gives the endpoint, so an execution's
``cluster`` is not overridden by ``PUSHER_HOST``), and the port and scheme of ``PUSHER_URL``
come only with its host. Every variable is checked when read, by the same rules as its input,
and a bad one is an `InputError` naming the variable; no message quotes a value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from .._errors import InputError
from .._secrets import MASTER_KEY_INPUT
from ._encryption import MasterKey
from ._settings import App, Connection, Proxy

#: Each input and the variable that gives its default.
VARIABLES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "appId": "PUSHER_APP_ID",
        "key": "PUSHER_APP_KEY",
        "secret": "PUSHER_APP_SECRET",
        "cluster": "PUSHER_CLUSTER",
        "host": "PUSHER_HOST",
        "port": "PUSHER_PORT",
        "encrypted": "PUSHER_ENCRYPTED",
        "proxy": "PUSHER_PROXY",
        "timeout": "PUSHER_TIMEOUT",
        "keepAlive": "PUSHER_KEEPALIVE",
        MASTER_KEY_INPUT: "PUSHER_ENCRYPTION_MASTER_KEY_BASE64",
    }
)
URL_VARIABLE: Final = "PUSHER_URL"
#: Every variable read for the defaults.
ENVIRONMENT_VARIABLES: Final = (*VARIABLES.values(), URL_VARIABLE)
#: The inputs `PUSHER_URL` can give.
URL_INPUTS: Final = ("appId", "key", "secret", "host", "port", "encrypted")
_ENDPOINT: Final = ("host", "cluster")
#: What `PUSHER_URL` says only of its own host.
_URL_ENDPOINT_PARTS: Final = ("port", "encrypted")
_URL_FORM: Final = "a Pusher URL looks like https://KEY:SECRET@HOST[:PORT]/apps/APP_ID"
_APP_PATH: Final = re.compile(r"/apps/([^/]+)/?")
_WHOLE: Final = re.compile(r"[0-9]+")
_DECIMAL: Final = re.compile(r"[0-9]+(\.[0-9]+)?")
_BOOLEANS: Final = {"true": True, "1": True, "false": False, "0": False}


@dataclass(frozen=True, slots=True)
class EnvironmentDefaults:
    """Defaults for task inputs: from the separate variables, and from ``PUSHER_URL``. Values
    are typed as the inputs are (``port`` a number, ``encrypted`` a boolean). The values hold
    the app secret, so `repr` shows only which inputs have a default."""

    variables: Mapping[str, Any] = field(default_factory=dict, repr=False)
    url: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        return f"EnvironmentDefaults(variables={sorted(self.variables)}, url={sorted(self.url)})"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> EnvironmentDefaults:
        """The defaults `environ` gives; an `InputError` naming the first bad variable."""
        variables: dict[str, Any] = {}
        for input_name, variable in VARIABLES.items():
            text = environ.get(variable)
            if text:
                variables[input_name] = _READERS[input_name](text, variable)
        url = environ.get(URL_VARIABLE)
        return cls(MappingProxyType(variables), MappingProxyType(_from_url(url) if url else {}))

    def __bool__(self) -> bool:
        return bool(self.variables or self.url)

    def apply(self, inputs: Mapping[str, Any]) -> Mapping[str, Any]:
        """`inputs` with the defaults filled in where an input is not given; `inputs` itself
        (never changed) when there is nothing to add."""
        if not self:
            return inputs
        merged = dict(inputs)
        url_endpoint = False
        if not any(_given(inputs.get(name)) for name in _ENDPOINT):
            source = self.variables if any(n in self.variables for n in _ENDPOINT) else self.url
            for name in _ENDPOINT:
                if name in source:
                    merged[name] = source[name]
            url_endpoint = source is self.url and "host" in self.url
        for name in VARIABLES:
            if name in _ENDPOINT or _given(inputs.get(name)):
                continue
            if name in self.variables:
                merged[name] = self.variables[name]
            elif name in self.url and (url_endpoint or name not in _URL_ENDPOINT_PARTS):
                merged[name] = self.url[name]
        return merged


def missing_input(name: str) -> InputError:
    """The error for a required connection input that neither the execution nor the
    environment gives, naming both the input and its variables."""
    variables = VARIABLES[name] + (f" or {URL_VARIABLE}" if name in URL_INPUTS else "")
    return InputError(
        name, f"is required: give the input {name}, or set {variables} in the service's environment"
    )


def require_inputs(inputs: Mapping[str, Any], names: Sequence[str]) -> None:
    """Refuse `inputs` (defaults applied) without one of `names` (like appId, key, secret)."""
    for name in names:
        if not _given(inputs.get(name)):
            raise missing_input(name)


def _given(value: Any) -> bool:
    return value is not None and value != ""


def _renamed(variable: str, check: Callable[[], object]) -> None:
    """Run one input's own rule on a variable's value, naming the variable if it fails."""
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


def _master_key(text: str, variable: str) -> str:
    MasterKey.from_base64(text, variable)
    return text


def _proxy(text: str, variable: str) -> str:
    Proxy.from_url(text, variable)
    return text


# The rules are the inputs' own: an app id, key or secret is checked as `App` checks it.
_READERS: Final[Mapping[str, Callable[[str, str], Any]]] = MappingProxyType(
    {
        "appId": _text(lambda v: App(v, "key", "secret")),
        "key": _text(lambda v: App("0", v, "secret")),
        "secret": _text(lambda v: App("0", "key", v)),
        "cluster": _text(lambda v: Connection.create(cluster=v)),
        "host": _text(lambda v: Connection.create(host=v)),
        "port": _port,
        "encrypted": _boolean,
        "proxy": _proxy,
        "timeout": _timeout,
        "keepAlive": _boolean,
        MASTER_KEY_INPUT: _master_key,
    }
)


def _from_url(text: str) -> dict[str, Any]:
    """The inputs a Pusher URL gives. Read as a URL (an IPv6 host in brackets, the port after
    it); the key and secret may be percent-encoded. No message quotes any part of it."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InputError(
            URL_VARIABLE,
            f"{_URL_FORM}, with characters such as @ / : # in the key or secret "
            "percent-encoded; this one cannot be read as a URL",
        ) from None
    if parts.scheme not in ("http", "https"):
        raise InputError(URL_VARIABLE, f"{_URL_FORM}; it starts with http:// or https://")
    if not parts.username or not parts.password:
        raise InputError(URL_VARIABLE, f"{_URL_FORM}; it has no KEY:SECRET@ before the host")
    if not parts.hostname:
        raise InputError(URL_VARIABLE, f"{_URL_FORM}; it has no host")
    path = _APP_PATH.fullmatch(parts.path)
    if path is None or parts.query or parts.fragment:
        raise InputError(URL_VARIABLE, f"{_URL_FORM}; its path is /apps/APP_ID, and nothing after")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    values: dict[str, Any] = {
        "appId": unquote(path.group(1)),
        "key": unquote(parts.username),
        "secret": unquote(parts.password),
        "host": host,
        "encrypted": parts.scheme == "https",
    }
    if port is not None:
        values["port"] = port
    for name in ("appId", "key", "secret", "host"):
        _READERS[name](values[name], URL_VARIABLE)
    if port is not None:
        _renamed(URL_VARIABLE, lambda: Connection.create(port=port))
    return values
