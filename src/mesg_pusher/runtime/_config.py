"""The configuration of ``mesg-pusher serve``: every setting with its option, its environment
variables and its default in one table, resolved once into a frozen `ServeConfig`.

An option on the command line wins over the environment, which wins over the default. The engine
gives a service its address and its identity, in the names of its generation: ``MESG_TOKEN`` and
``MESG_ENDPOINT_TCP`` (``host:port``) to v0.9 (v0.2 also gave
``MESG_ENDPOINT=unix:///mesg/server.sock``, so ``MESG_ENDPOINT`` is read when the TCP one is
unset), ``MESG_TOKEN`` and ``MESG_ENDPOINT`` from v0.10, the instance and runner hashes from
v0.17, a registration from v0.21 (the variables the engine sets are the settings without an
option below). Which protocol serve speaks is ``MESG_PUSHER_ENGINE`` (``--engine``), ``auto``
by default: `ServeConfig.choice`, decided from them (``_engines/_choice.py``). On the engines
whose results wait for a block (v0.17 on) a result's attempt is given the submit timeout plus a
block, and the default grace period covers two blocks more (`default_grace`).

What serve remembers beyond one execution or webhook (idempotency keys, webhook bodies) lives in
the process unless ``MESG_PUSHER_STORE`` names a Redis (``redis://HOST:PORT/DB``) that replicas
share; its password never appears in a message or a log line.

The webhook listener (``POST /webhooks``) listens on ``MESG_PUSHER_WEBHOOK_LISTEN``. The
container sets ``0.0.0.0:3000`` (the port mesg.yml declares); anywhere else the default is
loopback on a free port (`WEBHOOK_LISTEN`), so nothing is exposed beyond the machine unasked and
any number of services on one machine (tests start many at once) never contend for a port; the
address taken is logged. ``GET /health`` and ``GET /metrics`` answer on an address of their own,
``MESG_PUSHER_ADMIN_LISTEN``, loopback on a free port by default too (`ADMIN_LISTEN`; the
container sets ``127.0.0.1:3001``, where its HEALTHCHECK asks), never on the webhook port, which
faces the internet.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Final

from .._backoff import Backoff
from .._errors import InputError, MesgPusherError
from ..mesg import IMAGE_LISTEN, MAX_INPUT_BYTES, load_packaged
from ..pusher import ENVIRONMENT_VARIABLES, rules
from ..tasks import WEBHOOK_APPS_VARIABLE
from ..webhooks import MAX_MEMBER_INFO_BYTES
from ._engines._choice import AUTO, EngineChoice, Identity, choose, variant_of
from ._store import MEMORY, RedisAddress, store_address

#: The engine's gRPC port, used when an endpoint names a host only.
ENGINE_PORT: Final = 50052
#: Task data held at most by running and waiting executions together, in bytes (what serve
#: holds of an execution while it runs is a few times its task data).
MAX_HELD_BYTES: Final = 64 * 1024 * 1024
MAX_HELD_BYTES_LIMIT: Final = 1 << 40
#: The first reconnection waits about this long; each further one doubles up to the maximum.
RECONNECT_BASE_DELAY: Final = 0.1
#: Upper bounds of the settings: far beyond any sensible value, and within what gRPC and
#: asyncio can take (gRPC overflows on deadlines of a few hundred years, and on reconnection
#: waits above 24 days).
MAX_SECONDS: Final = 24 * 60 * 60
MAX_IN_FLIGHT: Final = 10_000
MAX_QUEUE_SIZE: Final = 1_000_000
#: The shortest SubmitResult attempt: below it no engine could ever answer in time.
MIN_SUBMIT_TIMEOUT: Final = 0.01
#: The grace period without blocks (Docker stops a container 10 s after its signal).
GRACE_PERIOD: Final = 8.0
#: The blocks a stop still waits for, on the engines with a chain: one for the results under
#: way, one for the answers to the executions it stops.
GRACE_BLOCKS: Final = 2
#: Where the webhook listener listens outside the container: loopback, a free port.
WEBHOOK_LISTEN: Final = "127.0.0.1:0"
#: How long an idempotencyKey is remembered by default, in seconds.
IDEMPOTENCY_WINDOW: Final = 600.0
#: Where ``/health`` and ``/metrics`` answer outside the container: loopback, a free port.
ADMIN_LISTEN: Final = "127.0.0.1:0"
#: The value of ``--webhook-listen`` (and ``--admin-listen``) that turns the listener off.
OFF: Final = "off"
LOG_FORMATS: Final = ("text", "json")
LOG_LEVELS: Final = ("debug", "info", "warning", "error")
_HOST_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_PASSED_THROUGH = ("unix:", "unix-abstract:", "dns:", "ipv4:", "ipv6:")


class ConfigError(MesgPusherError):
    """A setting is missing or has a value it cannot take. When one setting's rule is broken,
    `field` names it (a `ServeConfig` field) and `rule` is the message without the name."""

    def __init__(self, message: str, *, field: str = "", rule: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule


def _broken(option: str, rule: str) -> ConfigError:
    """The refusal of the setting shown as `option` (``max-in-flight``)."""
    return ConfigError(f"{option}: {rule}", field=option.replace("-", "_"), rule=rule)


def default_grace(block_seconds: float | None) -> float:
    """The grace period when none is set: `GRACE_PERIOD`, plus `GRACE_BLOCKS` blocks on an
    engine whose results wait for one (`block_seconds`)."""
    return GRACE_PERIOD + GRACE_BLOCKS * (block_seconds or 0.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class ServeConfig:
    endpoint: str
    token: str = ""
    engine: str = AUTO
    instance_hash: str = ""
    runner_hash: str = ""
    service_hash: str = ""
    env_hash: str = ""
    register_signature: str = field(default="", repr=False)
    credential_username: str = ""
    credential_passphrase: str = field(default="", repr=False)
    #: The names of the engine's variables the environment set (what ``auto`` reads).
    variables: frozenset[str] = field(default=frozenset(), compare=False)
    max_in_flight: int = 100
    queue_size: int = 1000
    #: None: the default of the engine spoken (`grace`).
    grace_period: float | None = None
    reconnect_max_delay: float = 10.0
    submit_timeout: float = 10.0
    log_format: str = "text"
    log_level: str = "info"
    max_held_bytes: int = MAX_HELD_BYTES
    max_input_bytes: int = MAX_INPUT_BYTES
    reconnect_base_delay: float = RECONNECT_BASE_DELAY
    webhook_listen: str = WEBHOOK_LISTEN
    store: str = MEMORY
    idempotency_window: float = IDEMPOTENCY_WINDOW
    admin_listen: str = ADMIN_LISTEN
    #: The event keys and channel name prefixes whose webhook events are emitted (none named:
    #: every one).
    webhook_events: tuple[str, ...] = ()
    webhook_channels: tuple[str, ...] = ()
    max_member_info_bytes: int = MAX_MEMBER_INFO_BYTES
    #: The engine protocol(s) serve may speak, decided from the settings above.
    choice: EngineChoice = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.engine.strip().lower() != AUTO:
            try:
                variant_of(self.engine)
            except ValueError as error:
                raise _broken("engine", str(error)) from None
        identity = Identity(
            self.token,
            self.instance_hash,
            self.runner_hash,
            self.service_hash,
            self.env_hash,
            self.register_signature,
        )
        try:
            chosen = choose(self.engine, identity, endpoint=self.endpoint, variables=self.variables)
        except ValueError as error:
            raise ConfigError(str(error)) from None
        object.__setattr__(self, "choice", chosen)
        _within("max-in-flight", self.max_in_flight, 1, MAX_IN_FLIGHT)
        _within("queue-size", self.queue_size, 0, MAX_QUEUE_SIZE)
        if self.grace_period is not None:
            _within("grace-period", self.grace_period, 0, MAX_SECONDS, " seconds")
        _within(
            "reconnect-max-delay",
            self.reconnect_max_delay,
            self.reconnect_base_delay,
            MAX_SECONDS,
            " seconds",
        )
        _within("submit-timeout", self.submit_timeout, MIN_SUBMIT_TIMEOUT, MAX_SECONDS, " seconds")
        _within("max-held-bytes", self.max_held_bytes, 0, MAX_HELD_BYTES_LIMIT, " bytes")
        _within("idempotency-window", self.idempotency_window, 1, MAX_SECONDS, " seconds")
        if self.max_input_bytes < 0 or self.reconnect_base_delay <= 0:
            raise ConfigError("max_input_bytes: 0 or more; reconnect_base_delay: > 0")
        if self.log_format not in LOG_FORMATS:
            raise _broken("log-format", f"one of {', '.join(LOG_FORMATS)}")
        if self.log_level not in LOG_LEVELS:
            raise _broken("log-level", f"one of {', '.join(LOG_LEVELS)}")
        grpc_target(self.endpoint)  # refuses an endpoint it cannot use
        listen_address(self.webhook_listen)
        try:
            store_address(self.store)
        except ValueError as error:
            raise _broken("store", str(error)) from None
        listen_address(self.admin_listen, "admin-listen")
        _within(
            "max-member-info-bytes", self.max_member_info_bytes, 0, MAX_HELD_BYTES_LIMIT, " bytes"
        )
        _webhook_filters(self.webhook_events, self.webhook_channels)

    @property
    def grace(self) -> float:
        """The grace period in effect: the one set, or the default for the engine spoken."""
        if self.grace_period is not None:
            return self.grace_period
        return default_grace(self.choice.block_seconds)

    @property
    def target(self) -> str:
        """The endpoint as a gRPC channel target."""
        return grpc_target(self.endpoint)

    def backoff(self, draw: Callable[[], float]) -> Backoff:
        """The retry schedule every link to the engine follows (reconnection, results, events)."""
        return Backoff(base=self.reconnect_base_delay, cap=self.reconnect_max_delay, draw=draw)

    @property
    def redis(self) -> RedisAddress | None:
        """The Redis the store is in, or None when it is in the process."""
        return store_address(self.store)

    @property
    def webhook_address(self) -> tuple[str, int] | None:
        """Where the webhook listener listens (host, port), or None when it is off."""
        return listen_address(self.webhook_listen)

    @property
    def admin_address(self) -> tuple[str, int] | None:
        """Where ``/health`` and ``/metrics`` answer (host, port), or None when off."""
        return listen_address(self.admin_listen, "admin-listen")


def _webhook_filters(events: tuple[str, ...], channels: tuple[str, ...]) -> None:
    """Refuse an event key mesg.yml does not declare, or a prefix no channel name can have."""
    if events:
        known = sorted(load_packaged().events)
        for event in events:
            if event not in known:
                raise _broken(
                    "webhook-events", f"event keys among {', '.join(known)}; not {event!r}"
                )
    for prefix in channels:
        try:
            rules.channel_name(prefix, "webhook-channels")
        except InputError as error:
            raise _broken("webhook-channels", f"channel name prefixes: {error.rule}") from None


def _within(name: str, value: float, low: float, high: float, unit: str = "") -> None:
    if not low <= value <= high:
        raise _broken(name, f"from {_shown(low)} to {_shown(high)}{unit}")


def _shown(number: float) -> str:
    return f"{number:g}" if isinstance(number, float) else str(number)


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: the `ServeConfig` field, its option, its environment variables (first set
    wins), how its text reads, a metavar and the help text."""

    field: str
    option: str  # empty: the engine sets it, there is no option
    env: tuple[str, ...]
    parse: Callable[[str], Any]
    metavar: str
    help: str
    #: What a value must be, for the message refusing one `parse` cannot read.
    kind: str = ""
    #: Whether a refusal may quote the value (not when it can hold a password).
    quoted: bool = True


def _int(text: str) -> int:
    return int(text.strip())


def _seconds(text: str) -> float:
    value = float(text.strip())
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def _lower(text: str) -> str:
    return text.strip().lower()


def _names(text: str) -> tuple[str, ...]:
    """A comma list: its names, spaces around them and empty ones let go; at least one."""
    names = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    if not names:
        raise ValueError("names nothing")
    return names


SETTINGS: Final = (
    Setting(
        "endpoint",
        "--endpoint",
        ("MESG_ENDPOINT_TCP", "MESG_ENDPOINT"),
        str.strip,
        "ADDRESS",
        "the engine's gRPC address: host:port (the port defaults to 50052), [IPv6]:port or "
        "unix:///path/to/socket",
    ),
    Setting(
        "token",
        "--token",
        ("MESG_TOKEN",),
        str.strip,
        "TOKEN",
        "the service's token, given by engines v0.1 to v0.16 (its id to v0.10, its instance "
        "hash from v0.11)",
    ),
    Setting(
        "engine",
        "--engine",
        ("MESG_PUSHER_ENGINE",),
        str.strip,
        "VERSION",
        "the engine release whose protocol to speak, like v0.16 or v0.18 (a series), from "
        "v0.1 to v0.26, or auto: found from the variables the engine gives and, where they "
        "leave several, from what the engine answers",
    ),
    Setting("instance_hash", "", ("MESG_INSTANCE_HASH",), str.strip, "", "v0.17 on"),
    Setting("runner_hash", "", ("MESG_RUNNER_HASH",), str.strip, "", "v0.17 on"),
    Setting("service_hash", "", ("MESG_SERVICE_HASH",), str.strip, "", "v0.21 on"),
    Setting("env_hash", "", ("MESG_ENV_HASH",), str.strip, "", "v0.21 on"),
    Setting("register_signature", "", ("MESG_REGISTER_SIGNATURE",), str.strip, "", "v0.21 on"),
    Setting(
        "credential_username",
        "",
        ("MESG_PUSHER_CREDENTIAL_USERNAME",),
        str.strip,
        "",
        "v0.17.0's account name, sent with every result",
    ),
    Setting(
        "credential_passphrase",
        "",
        ("MESG_PUSHER_CREDENTIAL_PASSPHRASE",),
        str,
        "",
        "v0.17.0's account passphrase, sent with every result",
    ),
    Setting(
        "max_in_flight",
        "--max-in-flight",
        ("MESG_PUSHER_MAX_IN_FLIGHT",),
        _int,
        "N",
        f"executions run at once (1 to {MAX_IN_FLIGHT})",
    ),
    Setting(
        "queue_size",
        "--queue-size",
        ("MESG_PUSHER_QUEUE_SIZE",),
        _int,
        "N",
        "executions that wait for a free slot; beyond them an execution is answered at once "
        f"with the error output 'the service is overloaded' (0 to {MAX_QUEUE_SIZE})",
    ),
    Setting(
        "max_held_bytes",
        "--max-held-bytes",
        ("MESG_PUSHER_MAX_HELD_BYTES",),
        _int,
        "BYTES",
        "task data held by running and waiting executions together; beyond it an execution is "
        "answered at once with the error output 'the service is overloaded' (one execution is "
        f"always taken when nothing else is held) (0 to {MAX_HELD_BYTES_LIMIT})",
    ),
    Setting(
        "grace_period",
        "--grace-period",
        ("MESG_PUSHER_GRACE_PERIOD",),
        _seconds,
        "SECONDS",
        "on SIGTERM/SIGINT, the longest the whole stop takes, from the signal to the exit: "
        "taking the executions the engine already sent (at most 2 s of it), then letting "
        "executions finish until its last 1.5 s (its second half if it is under 3 s; a block "
        "more from v0.17), in which those still running or waiting are answered with an error "
        "output; keep it under the container's stop timeout, 10 s by default "
        f"(0 to {MAX_SECONDS}; default {GRACE_PERIOD:g} s, and {GRACE_BLOCKS} blocks more from "
        "v0.17, whose results wait for a block: 18 s with 5 s blocks)",
    ),
    Setting(
        "reconnect_max_delay",
        "--reconnect-max-delay",
        ("MESG_PUSHER_RECONNECT_MAX_DELAY",),
        _seconds,
        "SECONDS",
        "longest wait between two attempts to reach the engine (and between retries of a "
        "result); waits start at 0.1 s and double, with jitter "
        f"({RECONNECT_BASE_DELAY} to {MAX_SECONDS})",
    ),
    Setting(
        "submit_timeout",
        "--submit-timeout",
        ("MESG_PUSHER_SUBMIT_TIMEOUT",),
        _seconds,
        "SECONDS",
        "how long one attempt to submit a result may wait for the engine, plus a block from "
        f"v0.17 (whose results wait for one) ({MIN_SUBMIT_TIMEOUT} to {MAX_SECONDS})",
    ),
    Setting(
        "log_format",
        "--log-format",
        ("MESG_PUSHER_LOG_FORMAT",),
        _lower,
        "{text,json}",
        "log lines as text or as one JSON object each",
    ),
    Setting(
        "log_level",
        "--log-level",
        ("MESG_PUSHER_LOG_LEVEL",),
        _lower,
        "{debug,info,warning,error}",
        "the least important log lines shown; info shows one line per execution",
    ),
    Setting(
        "webhook_listen",
        "--webhook-listen",
        ("MESG_PUSHER_WEBHOOK_LISTEN",),
        str.strip,
        "HOST:PORT",
        "where Pusher's webhooks are received (POST /webhooks, nothing else), or off; the "
        "container sets 0.0.0.0:3000; elsewhere the default is loopback on a free port (port 0), "
        "logged at start",
    ),
    Setting(
        "store",
        "--store",
        ("MESG_PUSHER_STORE",),
        str.strip,
        "{memory,redis://HOST:PORT/DB}",
        "where idempotency keys and the webhooks' bodies are remembered: in this process "
        "(memory), or in a Redis that replicas of the service share, so that they, or this "
        "service restarted, still publish once and emit once (redis://[:PASSWORD@]HOST[:PORT]"
        "[/DB], port 6379 and DB 0 by default); while Redis cannot be reached, executions with "
        "an idempotencyKey answer an error (kind network, retry safe) and webhooks 503",
        quoted=False,
    ),
    Setting(
        "idempotency_window",
        "--idempotency-window",
        ("MESG_PUSHER_IDEMPOTENCY_WINDOW",),
        _seconds,
        "SECONDS",
        "how long an execution's idempotencyKey is remembered once it is answered: within it, "
        "another execution with the same app and key gets the first one's output and "
        f"publishes nothing (1 to {MAX_SECONDS})",
    ),
    Setting(
        "admin_listen",
        "--admin-listen",
        ("MESG_PUSHER_ADMIN_LISTEN",),
        str.strip,
        "HOST:PORT",
        "where GET /health and GET /metrics answer, for an operator (never on the webhook "
        "port), or off; the container sets 127.0.0.1:3001 (its HEALTHCHECK asks there); "
        "elsewhere the default is loopback on a free port, logged at start",
    ),
    Setting(
        "webhook_events",
        "--webhook-events",
        ("MESG_PUSHER_WEBHOOK_EVENTS",),
        _names,
        "EVENTS",
        "the webhook events emitted, a comma list of event keys (member_added,client_event); "
        "the others are answered 200 and counted, never emitted (default: every event)",
        kind="a comma list of event keys",
    ),
    Setting(
        "webhook_channels",
        "--webhook-channels",
        ("MESG_PUSHER_WEBHOOK_CHANNELS",),
        _names,
        "PREFIXES",
        "emit only the webhook events of channels whose name starts with one of these, a comma "
        "list (presence-,private-orders-); the others are answered 200 and counted, never "
        "emitted (default: every channel)",
        kind="a comma list of channel name prefixes",
    ),
    Setting(
        "max_member_info_bytes",
        "--max-member-info-bytes",
        ("MESG_PUSHER_MAX_MEMBER_INFO_BYTES",),
        _int,
        "BYTES",
        "memory for the user_info of the presence members authorizeChannel signed in the last "
        "24 hours, which member_added and member_removed carry; past it the oldest are "
        f"forgotten first; 0 keeps none (0 to {MAX_HELD_BYTES_LIMIT})",
    ),
)


#: The variables the engines set (the endpoint's among them), which ``auto`` reads.
ENGINE_VARIABLES: Final = (
    "MESG_TOKEN",
    "MESG_ENDPOINT",
    "MESG_ENDPOINT_TCP",
    "MESG_INSTANCE_HASH",
    "MESG_RUNNER_HASH",
    "MESG_SERVICE_HASH",
    "MESG_ENV_HASH",
    "MESG_REGISTER_SIGNATURE",
)


def defaults() -> dict[str, Any]:
    """The default of every setting that has one (for help texts)."""
    return {f.name: f.default for f in fields(ServeConfig) if f.default is not MISSING}


def resolve(options: Mapping[str, str | None], environ: Mapping[str, str]) -> ServeConfig:
    """The configuration from option values (field -> text, None when not given) and the
    environment; ConfigError names the option or variable at fault."""
    values: dict[str, Any] = {}
    given: dict[str, tuple[str, str]] = {}  # field -> (the option or variable, its text)
    for setting in SETTINGS:
        text = options.get(setting.field)
        source = setting.option
        if text is None:
            for name in setting.env:
                if environ.get(name, "").strip():
                    text, source = environ[name], name
                    break
        if text is None:
            continue
        try:
            values[setting.field] = setting.parse(text)
        except ValueError:
            shown = f"{text!r} " if setting.quoted else "the value "
            raise ConfigError(f"{source}: {shown}is not {_kind(setting)}") from None
        given[setting.field] = (source, text)
    if not values.get("endpoint"):
        raise ConfigError(
            "no engine address: set MESG_ENDPOINT_TCP or MESG_ENDPOINT (or --endpoint)"
        )
    values["variables"] = frozenset(
        name for name in ENGINE_VARIABLES if environ.get(name, "").strip()
    )
    try:
        return ServeConfig(**values)
    except ConfigError as error:
        if error.field not in given:
            raise
        # The rule is the config's; the name is the one the operator set, with what was set.
        source, text = given[error.field]
        quoted = next(s.quoted for s in SETTINGS if s.field == error.field)
        got = f" (got {text.strip()!r})" if quoted else ""
        raise ConfigError(f"{source}: {error.rule}{got}") from None


def _kind(setting: Setting) -> str:
    if setting.kind:
        return setting.kind
    return "a whole number" if setting.parse is _int else "a number of seconds"


def listen_address(text: str, option: str = "webhook-listen") -> tuple[str, int] | None:
    """A listening address: ``HOST:PORT`` or ``[IPv6]:PORT`` (port 0: a free one), or None
    for ``off``; ConfigError, naming `option`, otherwise."""
    value = text.strip()
    if value.lower() == OFF:
        return None
    refused = _broken(option, "HOST:PORT (port 0 to 65535), [IPv6]:PORT or off")
    host, sep, port = value.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        if not _is_ipv6(host):
            raise refused
    elif not _HOST_NAME.fullmatch(host):
        raise refused
    if not sep or not host or not (port.isascii() and port.isdigit()) or int(port) > 65535:
        raise refused
    return host, int(port)


def grpc_target(endpoint: str) -> str:
    """`endpoint` as a gRPC target: ``host:port`` and gRPC's own ``unix:``/``dns:`` forms are
    kept, ``tcp://host:port`` loses its scheme, and a bare host gets the engine's port."""
    address = endpoint.strip()
    if not address:
        raise ConfigError("the engine address is empty")
    if address.startswith(_PASSED_THROUGH):
        kind, _, rest = address.partition(":")
        if not rest.lstrip("/"):
            raise ConfigError(f"the engine address {endpoint!r}: {kind}: names no address")
        if address.startswith("unix://") and not address.startswith("unix:///"):
            return "unix:" + address[len("unix://") :]  # unix://relative/path
        return address
    if address.startswith("tcp://"):
        address = address[len("tcp://") :].rstrip("/")
        if not address:
            raise ConfigError(f"the engine address {endpoint!r}: tcp:// names no host")
    elif "://" in address:
        scheme = _SCHEME.match(address)
        name = scheme.group(1) if scheme else address.split("://")[0]
        raise ConfigError(f"the engine address {endpoint!r}: scheme {name}:// is not supported")
    if address.startswith("["):  # [IPv6] or [IPv6]:port
        closing = address.find("]")
        if closing < 0 or not _is_ipv6(address[1:closing]):
            raise ConfigError(f"the engine address {endpoint!r} is not [IPv6 address]:port")
        rest = address[closing + 1 :]
        if not rest:
            return f"{address}:{ENGINE_PORT}"
        if rest.startswith(":") and _is_port(rest[1:]):
            return address
        raise ConfigError(f"the engine address {endpoint!r} is not [IPv6 address]:port")
    if address.count(":") > 1:  # "::1" would be read as host "::" and port 1, or port 443
        raise ConfigError(
            f"the engine address {endpoint!r}: an IPv6 address goes in brackets, "
            f"e.g. [::1] or [::1]:{ENGINE_PORT}"
        )
    host, sep, port = address.rpartition(":")
    if not sep:
        host = address
    if not _HOST_NAME.fullmatch(host) or (sep and not _is_port(port)):
        raise ConfigError(
            f"the engine address {endpoint!r} is not host:port (a host name of letters, digits, "
            "'.', '-' and '_', port 1 to 65535)"
        )
    return address if sep else f"{address}:{ENGINE_PORT}"


def _is_port(text: str) -> bool:
    return text.isascii() and text.isdigit() and 1 <= int(text) <= 65535


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


#: Settings the engine gives serve (its address, token and hashes) or the image sets (the
#: release, and where to listen: with the values of the image's ``ENV`` lines).
_GIVEN_BY_THE_ENGINE: Final = frozenset(
    {"endpoint", "token", "instance_hash", "runner_hash", "service_hash", "env_hash"}
    | {"register_signature", "engine", "webhook_listen", "admin_listen"}
)
#: What a deployer may give serve through the engine (``--env``: engines from v0.6 refuse a
#: variable the definition does not declare under ``configuration.env``): the tasks' defaults,
#: the webhook apps, serve's settings and where it listens, with the image's values; not what
#: the engine gives.
DEPLOYED_VARIABLES: Final = (
    *ENVIRONMENT_VARIABLES,
    WEBHOOK_APPS_VARIABLE,
    *(name for s in SETTINGS if s.field not in _GIVEN_BY_THE_ENGINE for name in s.env),
    *IMAGE_LISTEN,
)
