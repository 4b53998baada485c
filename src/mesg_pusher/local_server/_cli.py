"""``mesg-pusher local-server``: run the local Pusher server until SIGINT or SIGTERM.

It prints its address once it is listening, then the apps it serves: the default app with its
secret (a fixed test credential), apps given with ``--app`` with their id and key only; then for
each app its options, a ``PUSHER_URL`` and the pusher-js options to paste, and what else is
switched on (webhooks, quota, disabled apps, faults, TLS, the log). The first signal stops it, a
second one exits at once; an address it cannot listen on, or an option it cannot use, is a
usage error (exit status 2), as for ``mesg-pusher engine``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._command_line import (
    EXIT_OK,
    UsageError,
    cannot_listen,
    port,
    say,
    stop_on_signals,
    usage_error,
)
from .._errors import InputError
from .._logs import configure
from .._secrets import scrub
from ..pusher import App
from ._config import (
    APP_OPTIONS,
    DEFAULT_APP,
    DEFAULT_LISTEN_HOST,
    DEFAULT_PORT,
    AppOptions,
    ServerSettings,
    parse_app,
    url_host,
)
from ._fault_injection import KINDS, parse_fault
from ._terminal import Banner, log_line

if TYPE_CHECKING:
    import ssl

    from ._app import LocalServer
    from ._tls import MadeTls

log = logging.getLogger("mesg_pusher.local_server")


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    defaults = ServerSettings()
    parser = commands.add_parser(
        "local-server",
        help="run a local Pusher server (HTTP API, websockets, debug console)",
        description=(
            "Run an embedded Pusher server that is strict like the real one: the HTTP API with "
            "signature, timestamp, key and body_md5 checks and Pusher's limits, the websocket "
            "protocol 7 at /app/<key>, and a live debug console at /. Stops on SIGINT/SIGTERM "
            "(a second one exits at once). Exit status 0 when stopped by a signal, 2 for a usage "
            "error (an option, an address it cannot listen on)."
        ),
    )
    parser.add_argument(
        "--host", default=DEFAULT_LISTEN_HOST, help="address to listen on (%(default)s)"
    )
    parser.add_argument(
        "--port", type=port, default=DEFAULT_PORT, help="port, 0 for any free one (%(default)s)"
    )
    parser.add_argument(
        "--app",
        dest="apps",
        action="append",
        default=[],
        metavar="ID:KEY:SECRET[:OPTION,...]",
        help=(
            "an app to serve (repeatable); without it the default app "
            f"{DEFAULT_APP.app_id}:{DEFAULT_APP.key}:{DEFAULT_APP.secret} is served. OPTIONs, "
            f"off by default as on a new Pusher app: {', '.join(APP_OPTIONS)}"
        ),
    )
    parser.add_argument(
        "--max-data-bytes",
        type=int,
        default=defaults.max_data_bytes,
        help="largest event data in bytes (%(default)s; dedicated clusters may agree more)",
    )
    parser.add_argument(
        "--max-batch-events",
        type=int,
        default=defaults.max_batch_events,
        help="events per batch_events call (%(default)s; dedicated clusters may agree more)",
    )
    parser.add_argument(
        "--activity-timeout",
        type=float,
        default=defaults.activity_timeout,
        help="seconds of client silence before the server pings it (%(default)s)",
    )
    parser.add_argument(
        "--console-host",
        dest="console_hosts",
        action="append",
        default=[],
        metavar="NAME",
        help=(
            "a host name the debug console answers to besides localhost and the server's own "
            "addresses (repeatable), such as the machine's name on a network"
        ),
    )
    parser.add_argument(
        "--webhook",
        dest="webhooks",
        action="append",
        default=[],
        metavar="URL",
        help=(
            "POST the apps' webhooks (occupied, vacated, member added/removed, client events, "
            "subscription counts, cache misses) to URL, signed and batched as Pusher does "
            "(repeatable)"
        ),
    )
    parser.add_argument(
        "--webhook-delay",
        type=float,
        default=defaults.webhook_delay,
        metavar="SECONDS",
        help=(
            "how long channel_vacated and member_removed wait; a return within it sends "
            "neither (%(default)s, as Pusher)"
        ),
    )
    parser.add_argument(
        "--webhook-retry-for",
        type=float,
        default=defaults.webhook_retry_for,
        metavar="SECONDS",
        help="how long a webhook answered with other than 2xx is retried (%(default)s)",
    )
    parser.add_argument(
        "--quota",
        type=int,
        metavar="MESSAGES",
        help=(
            "messages each app may send a day, counted as Pusher counts them (API calls, "
            "deliveries, client events, webhooks); past it the HTTP API answers 403"
        ),
    )
    parser.add_argument(
        "--disabled",
        action="append",
        default=[],
        metavar="APP_ID",
        help="an app whose HTTP API answers 403 and whose connections are refused (repeatable)",
    )
    parser.add_argument(
        "--signin-timeout",
        type=float,
        default=defaults.signin_timeout,
        metavar="SECONDS",
        help="how long a connection of a user-auth app has to sign in (%(default)s, as Pusher)",
    )
    parser.add_argument(
        "--fault",
        dest="faults",
        action="append",
        default=[],
        metavar="KIND[:RATE][:MS]",
        help=(
            "inject a fault (repeatable): RATE the fraction of chances it fires on (default 1), "
            f"MS the wait of the slow kinds. Kinds: {', '.join(KINDS)}"
        ),
    )
    parser.add_argument(
        "--fault-seed",
        type=int,
        metavar="N",
        help="the seed of the faults' random draws, to repeat a run (default: a new one, printed)",
    )
    parser.add_argument(
        "--tls",
        action="store_true",
        help=(
            "serve https:// and wss:// with a certificate made at start; its CA is written to a "
            "file whose path is printed"
        ),
    )
    parser.add_argument("--cert", type=Path, metavar="FILE", help="serve TLS with this certificate")
    parser.add_argument("--key", type=Path, metavar="FILE", help="the private key of --cert")
    parser.add_argument(
        "--log",
        action="store_true",
        help=(
            "log one line per API call, connection, subscription, client event and webhook "
            "(standard error; secrets never shown)"
        ),
    )
    parser.add_argument(
        "--cache-ttl",
        type=float,
        default=defaults.cache_ttl,
        metavar="SECONDS",
        help=(
            "how long a cache channel (cache-, private-cache-, ...) keeps its last event "
            "(%(default)s, Pusher's 30 minutes)"
        ),
    )
    parser.set_defaults(run=_run)


#: The option behind each setting a refusal names, where the two are spelled apart.
_OPTIONS = {
    "apps": "--app",
    "app_options": "--app",
    "console_hosts": "--console-host",
    "webhooks": "--webhook",
    "faults": "--fault",
}


def _refusal(error: InputError, args: argparse.Namespace) -> str:
    """`error` naming the option that was given, as the user wrote it, with its value when it
    is a number (an app carries its secret and a URL may carry credentials: never quoted)."""
    field = error.input
    if field.startswith("--"):
        return str(error)
    option = _OPTIONS.get(field, "--" + field.replace("_", "-"))
    value = getattr(args, field, None)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return f"{option}: {error.rule}" + (f" (got {value!r})" if number else "")


def _run(args: argparse.Namespace) -> int:
    try:
        specs = tuple(parse_app(spec) for spec in args.apps)
    except InputError as error:
        # The app's own rules (its id, key and secret) are the --app option's.
        shown = str(error) if error.input == "--app" else f"--app: {error}"
        return usage_error("local-server", shown)
    served = specs or ((DEFAULT_APP, AppOptions()),)
    try:
        faults = tuple(parse_fault(spec) for spec in args.faults)
        seed = args.fault_seed if args.fault_seed is not None else secrets.randbelow(2**31)
        settings = ServerSettings(
            apps=tuple(app for app, _ in served),
            app_options={app.app_id: options for app, options in served},
            max_data_bytes=args.max_data_bytes,
            max_batch_events=args.max_batch_events,
            activity_timeout=args.activity_timeout,
            console_hosts=tuple(args.console_hosts),
            webhooks=tuple(args.webhooks),
            webhook_delay=args.webhook_delay,
            webhook_retry_for=args.webhook_retry_for,
            cache_ttl=args.cache_ttl,
            quota=args.quota,
            disabled=frozenset(args.disabled),
            signin_timeout=args.signin_timeout,
            faults=faults,
            fault_seed=seed,
        )
        context, made = _tls(args, settings)
    except InputError as error:
        return usage_error("local-server", _refusal(error, args))
    except UsageError as error:
        return usage_error("local-server", str(error))
    configure("text", "info")
    # The server (aiohttp's web part) loads only when this command runs.
    from ._app import LocalServer  # noqa: PLC0415

    try:
        server = LocalServer(settings, host=args.host, port=args.port, ssl_context=context)
        if args.log:
            _log_to_terminal(server, settings)
        banner = _banner(args, settings, served, given=bool(specs), made=made)
        return asyncio.run(_serve(server, f"{url_host(args.host)}:{args.port}", banner))
    except UsageError as error:
        return usage_error("local-server", str(error))
    finally:
        if made is not None:
            made.remove()


def _tls(
    args: argparse.Namespace, settings: ServerSettings
) -> tuple[ssl.SSLContext | None, MadeTls | None]:
    """The TLS context the options ask for, and what ``--tls`` made (to remove at the end)."""
    if args.tls and (args.cert is not None or args.key is not None):
        raise UsageError("--tls makes its own certificate: give either --tls or --cert and --key")
    if (args.cert is None) != (args.key is None):
        raise UsageError("--cert and --key go together: the certificate and its private key")
    if not args.tls and args.cert is None:
        return None, None
    from . import _tls as tls  # noqa: PLC0415 - only TLS needs it

    if args.cert is not None:
        return tls.server_context(args.cert, args.key), None
    made = tls.made_tls(tls.server_names(args.host, settings.console_hosts))
    return made.context, made


def _banner(
    args: argparse.Namespace,
    settings: ServerSettings,
    served: tuple[tuple[App, AppOptions], ...],
    *,
    given: bool,
    made: MadeTls | None,
) -> Callable[[LocalServer], list[str]]:
    """The banner's lines, once the server knows its port."""

    def lines(server: LocalServer) -> list[str]:
        # Imported here: only a server sending webhooks needs the sender's module.
        from ._webhook_sender import shown_url  # noqa: PLC0415

        return Banner(
            url=server.url,
            ws_url=server.ws_url,
            host=args.host,
            port=server.port,
            apps=served,
            given=given,
            tls=server.ssl_context is not None,
            ca_file=str(made.ca_file) if made is not None else None,
            webhooks=[shown_url(url) for url in settings.webhooks],
            quota=settings.quota,
            disabled=sorted(settings.disabled),
            faults=settings.faults,
            fault_seed=settings.fault_seed,
            log=args.log,
        ).lines()

    return lines


def _log_to_terminal(server: LocalServer, settings: ServerSettings) -> None:
    """``--log``: each debug record becomes one log line, with no app secret in any value."""
    hidden = [app.secret for app in settings.apps]

    def write(entry: dict[str, Any]) -> None:
        line = log_line(entry)
        if line is None:
            return
        message, fields = line
        shown = {
            name: scrub(value, hidden) if isinstance(value, str) else value
            for name, value in fields.items()
        }
        log.info(message, extra={"fields": shown})

    server.broker.debug.tap(write)


async def _serve(
    server: LocalServer, where: str, banner: Callable[[LocalServer], list[str]]
) -> int:
    # Set before the banner, whose last line tells a script it may signal the server now.
    stop = stop_on_signals(log)
    try:
        await server.start()
    except OSError as error:
        raise cannot_listen(where, error) from None
    try:
        for line in banner(server):
            say(line)
        await stop.wait()
    finally:
        await server.stop()
    say("Local Pusher server stopped")
    return EXIT_OK
