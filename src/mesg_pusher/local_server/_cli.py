"""``mesg-pusher local-server``: run the local Pusher server until SIGINT or SIGTERM.

It prints its address once it is listening, then the apps it serves: the default app with its
secret (a fixed test credential), apps given with ``--app`` with their id and key only. The
first signal stops it, a second one exits at once; an address it cannot listen on is a usage
error (exit status 2), as for ``mesg-pusher engine``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import TYPE_CHECKING

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
from ..pusher import App
from ._config import (
    DEFAULT_APP,
    DEFAULT_HOST,
    DEFAULT_PORT,
    ServerSettings,
    parse_app,
    url_host,
)

if TYPE_CHECKING:
    from ._app import LocalServer

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
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (%(default)s)")
    parser.add_argument(
        "--port", type=port, default=DEFAULT_PORT, help="port, 0 for any free one (%(default)s)"
    )
    parser.add_argument(
        "--app",
        dest="apps",
        action="append",
        default=[],
        metavar="ID:KEY:SECRET",
        help=(
            "an app to serve (repeatable); without it the default app "
            f"{DEFAULT_APP.app_id}:{DEFAULT_APP.key}:{DEFAULT_APP.secret} is served"
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
_OPTIONS = {"apps": "--app", "console_hosts": "--console-host", "webhooks": "--webhook"}


def _refusal(error: InputError, args: argparse.Namespace) -> str:
    """`error` naming the option that was given, as the user wrote it, with its value when it
    is a number (an app carries its secret and a URL may carry credentials: never quoted)."""
    field = error.input
    option = _OPTIONS.get(field, "--" + field.replace("_", "-"))
    value = getattr(args, field, None)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return f"{option}: {error.rule}" + (f" (got {value!r})" if number else "")


def _run(args: argparse.Namespace) -> int:
    try:
        apps = tuple(parse_app(spec) for spec in args.apps)
    except InputError as error:
        # The app's own rules (its id, key and secret) are the --app option's.
        shown = str(error) if error.input == "--app" else f"--app: {error}"
        return usage_error("local-server", shown)
    try:
        settings = ServerSettings(
            apps=apps or (DEFAULT_APP,),
            max_data_bytes=args.max_data_bytes,
            max_batch_events=args.max_batch_events,
            activity_timeout=args.activity_timeout,
            console_hosts=tuple(args.console_hosts),
            webhooks=tuple(args.webhooks),
            webhook_delay=args.webhook_delay,
            webhook_retry_for=args.webhook_retry_for,
            cache_ttl=args.cache_ttl,
        )
    except InputError as error:
        return usage_error("local-server", _refusal(error, args))
    configure("text", "info")
    # The server (aiohttp's web part) loads only when this command runs.
    from ._app import LocalServer  # noqa: PLC0415

    try:
        server = LocalServer(settings, host=args.host, port=args.port)
        return asyncio.run(_serve(server, f"{url_host(args.host)}:{args.port}", apps))
    except UsageError as error:
        return usage_error("local-server", str(error))


async def _serve(server: LocalServer, where: str, given: tuple[App, ...]) -> int:
    try:
        await server.start()
    except OSError as error:
        raise cannot_listen(where, error) from None
    try:
        say(f"Local Pusher server listening on {server.url}")
        for app in server.apps:
            if given:
                say(f"App id: {app.app_id}  key: {app.key}  (secret as given with --app)")
            else:
                say(f"App id: {app.app_id}  key: {app.key}  secret: {app.secret}  (default app)")
        say(f"Websocket: {server.ws_url}/app/<key>?protocol=7")
        say(f"Debug console: {server.url}/")
        if server.settings.webhooks:
            # Imported here: only a server sending webhooks needs the sender's module.
            from ._webhooks import shown_url  # noqa: PLC0415

            for url in server.settings.webhooks:
                say(f"Webhooks: POST to {shown_url(url)}")
        await stop_on_signals(log).wait()
    finally:
        await server.stop()
    say("Local Pusher server stopped")
    return EXIT_OK
