"""``mesg-pusher local-server``: run the local Pusher server until SIGINT or SIGTERM.

It prints its address once it is listening, then the apps it serves: the default app with its
secret (a fixed test credential), apps given with ``--app`` with their id and key only.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import TYPE_CHECKING

from .._errors import InputError
from ..pusher import App
from ._config import DEFAULT_APP, DEFAULT_HOST, DEFAULT_PORT, ServerSettings, parse_app

if TYPE_CHECKING:
    from ._app import LocalServer

USAGE_ERROR = 2


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    defaults = ServerSettings()
    parser = commands.add_parser(
        "local-server",
        help="run a local Pusher server (HTTP API, websockets, debug console)",
        description=(
            "Run an embedded Pusher server that is strict like the real one: the HTTP API with "
            "signature, timestamp, key and body_md5 checks and Pusher's limits, the websocket "
            "protocol 7 at /app/<key>, and a live debug console at /. Stops on SIGINT/SIGTERM."
        ),
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (%(default)s)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port, 0 for any free one (%(default)s)"
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
        "--webhook",
        dest="webhooks",
        action="append",
        default=[],
        metavar="URL",
        help=(
            "POST the apps' webhooks (occupied, vacated, member added/removed, client events, "
            "subscription counts) to URL, signed and batched as Pusher does (repeatable)"
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
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        apps = tuple(parse_app(spec) for spec in args.apps)
        settings = ServerSettings(
            apps=apps or (DEFAULT_APP,),
            max_data_bytes=args.max_data_bytes,
            max_batch_events=args.max_batch_events,
            activity_timeout=args.activity_timeout,
            webhooks=tuple(args.webhooks),
            webhook_delay=args.webhook_delay,
            webhook_retry_for=args.webhook_retry_for,
        )
    except InputError as error:
        print(f"mesg-pusher: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    try:
        # The server (aiohttp's web part) loads only when this command runs.
        from ._app import LocalServer  # noqa: PLC0415

        return asyncio.run(_serve(LocalServer(settings, host=args.host, port=args.port), apps))
    except OSError as error:
        print(f"mesg-pusher: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1


async def _serve(server: LocalServer, given: tuple[App, ...]) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await server.start()
    try:
        print(f"Local Pusher server listening on {server.url}")
        for app in server.apps:
            if given:
                print(f"App id: {app.app_id}  key: {app.key}  (secret as given with --app)")
            else:
                print(f"App id: {app.app_id}  key: {app.key}  secret: {app.secret}  (default app)")
        print(f"Websocket: {server.ws_url}/app/<key>?protocol=7")
        print(f"Debug console: {server.url}/")
        if server.settings.webhooks:
            # Imported here: only a server sending webhooks needs the sender's module.
            from ._webhooks import shown_url  # noqa: PLC0415

            for url in server.settings.webhooks:
                print(f"Webhooks: POST to {shown_url(url)}")
        sys.stdout.flush()
        await stop.wait()
    finally:
        await server.stop()
    print("Local Pusher server stopped", flush=True)
    return 0
