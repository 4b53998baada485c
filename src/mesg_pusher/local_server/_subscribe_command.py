"""``mesg-pusher subscribe [--url URL] CHANNEL...``: watch channels from the terminal, as a
client does. It connects to the Pusher-protocol server of a Pusher URL (``--url``, else
``PUSHER_URL``, else the default local server), subscribes to each channel (private, presence
and encrypted ones authorized with the URL's secret, as the app's auth endpoint would), and
prints every event it receives, one a line, until SIGINT or SIGTERM.

Standard output carries the events only (``CHANNEL EVENT DATA``, or one JSON object a line with
``--json``); what the command does (connected, subscribed, closed) goes to standard error. Events
of encrypted channels are opened with ``PUSHER_ENCRYPTION_MASTER_KEY_BASE64`` when it is set.
Exit status: 0 when stopped by a signal, 1 when the server refuses a subscription or closes the
connection (or it cannot be reached), 2 for a usage error (a URL or channel it cannot use). The
secret is never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import logging
import os
import sys
from typing import TYPE_CHECKING, Any, Final

from .._command_line import EXIT_OK, fail, say, stop_on_signals, usage_error
from .._errors import InputError
from .._json import dumps, loads
from ..pusher import App, EnvironmentDefaults, MasterKey, limits, rules
from ._config import DEFAULT_APP, DEFAULT_LISTEN_HOST, DEFAULT_PORT

if TYPE_CHECKING:
    from ._subscriber import ReceivedEvent, Subscriber

COMMAND: Final = "subscribe"
#: The default local server, as a Pusher URL.
DEFAULT_URL: Final = (
    f"http://{DEFAULT_APP.key}:{DEFAULT_APP.secret}@{DEFAULT_LISTEN_HOST}:{DEFAULT_PORT}"
    f"/apps/{DEFAULT_APP.app_id}"
)
MASTER_KEY_VARIABLE: Final = "PUSHER_ENCRYPTION_MASTER_KEY_BASE64"
DEFAULT_USER_ID: Final = "mesg-pusher-subscribe"
#: Seconds to connect and to have each subscription answered.
WAIT: Final = 10.0

log = logging.getLogger("mesg_pusher.subscribe")


def add_subscribe_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        COMMAND,
        help="subscribe to channels as a client and print every event",
        description=(
            "Connect to a Pusher-protocol server as a client (the local server, soketi, Pusher), "
            "subscribe to CHANNELs and print every event received, one a line, until SIGINT or "
            "SIGTERM. Private, presence and encrypted channels are authorized with the secret "
            "of the Pusher URL; encrypted events are opened with "
            f"{MASTER_KEY_VARIABLE} when it is set. Exit status 0 when stopped by a signal, "
            "1 when a subscription is refused or the connection closes, 2 for a usage error."
        ),
    )
    parser.add_argument(
        "--url",
        metavar="URL",
        help=(
            "the app's Pusher URL, http[s]://KEY:SECRET@HOST:PORT/apps/APP_ID (default: "
            f"PUSHER_URL, else the default local server {_shown(DEFAULT_URL)})"
        ),
    )
    parser.add_argument(
        "--user-id",
        default=DEFAULT_USER_ID,
        metavar="ID",
        help="the user to join presence channels and to sign in as (%(default)s)",
    )
    parser.add_argument(
        "--user-info",
        metavar="JSON",
        help="the user_info of presence channels, a JSON value",
    )
    parser.add_argument(
        "--signin",
        action="store_true",
        help=(
            "sign in as --user-id first (apps with user-auth close connections that do not; "
            "events sent to the user arrive on #server-to-user-<id>)"
        ),
    )
    parser.add_argument(
        "--json", action="store_true", help="print each event as one JSON object a line"
    )
    parser.add_argument("channels", nargs="+", metavar="CHANNEL", help="channels to subscribe to")
    parser.set_defaults(run=_run)


def _shown(url: str) -> str:
    """A Pusher URL fit to print: the secret left out."""
    scheme, _, rest = url.partition("://")
    credentials, at, place = rest.rpartition("@")
    if not at:
        return url
    key = credentials.partition(":")[0]
    return f"{scheme}://{key}:***@{place}"


class _Target:
    """Where to connect and as which app, read from a Pusher URL."""

    def __init__(self, url: str, option: str) -> None:
        try:
            values = EnvironmentDefaults.from_environment({"PUSHER_URL": url}).url
        except InputError as error:
            raise InputError(option, error.rule) from None
        self.app = App(app_id=values["app_id"], key=values["key"], secret=values["secret"])
        scheme = "wss" if values["tls"] else "ws"
        port = values.get("port", 443 if values["tls"] else 80)
        self.ws_url = f"{scheme}://{websocket_host(values['host'])}:{port}"


def websocket_host(api_host: str) -> str:
    """Where a client connects, for an HTTP API host: Pusher's own hosts have a websocket
    twin (``api-eu.pusher.com`` -> ``ws-eu.pusher.com``, ``api.pusherapp.com`` ->
    ``ws.pusherapp.com``); the local server and soketi serve both on one host."""
    host = api_host.lower()
    if host == "api.pusherapp.com":
        return "ws.pusherapp.com"
    if host.startswith("api-") and host.endswith(".pusher.com"):
        return "ws-" + host.removeprefix("api-")
    return api_host


def _run(args: argparse.Namespace) -> int:
    option = "--url" if args.url else "PUSHER_URL"
    url = args.url or os.environ.get("PUSHER_URL") or DEFAULT_URL
    try:
        target = _Target(url, option)
        for channel in args.channels:
            if channel.startswith(limits.SERVER_TO_USER_PREFIX):
                raise InputError(
                    channel, "the user's own channel: give --signin to receive its events"
                )
            rules.channel_name(channel, "CHANNEL")
        user_info = loads(args.user_info) if args.user_info is not None else None
        rules.user_id(args.user_id, "--user-id")
        master_key = _master_key()
    except InputError as error:
        return usage_error(COMMAND, str(error))
    except ValueError:
        return usage_error(COMMAND, "--user-info: expected a JSON value")
    from .._logs import configure  # noqa: PLC0415

    configure("text", "info")
    return asyncio.run(_watch(args, target, user_info, master_key))


def _master_key() -> MasterKey | None:
    text = os.environ.get(MASTER_KEY_VARIABLE)
    return MasterKey.from_base64(text, MASTER_KEY_VARIABLE) if text else None


async def _watch(
    args: argparse.Namespace, target: _Target, user_info: Any, master_key: MasterKey | None
) -> int:
    import aiohttp  # noqa: PLC0415

    from ._subscriber import Subscriber, SubscriberError  # noqa: PLC0415

    stop = stop_on_signals(log)
    try:
        subscriber = await Subscriber.connect(
            target.ws_url, target.app.key, within=WAIT, queue_counts=True
        )
    except (OSError, TimeoutError, SubscriberError, ValueError, aiohttp.ClientError) as error:
        return fail(COMMAND, f"cannot connect to {target.ws_url}: {_reason(error)}")
    async with subscriber:
        _status(f"connected to {target.ws_url} as socket {subscriber.socket_id}")
        try:
            if args.signin:
                await subscriber.signin(target.app, {"id": args.user_id}, within=WAIT)
                _status(f"signed in as {args.user_id}")
            for channel in args.channels:
                await _subscribe(subscriber, target.app, channel, args.user_id, user_info)
                _status(f"subscribed to {channel}")
        except (SubscriberError, TimeoutError) as error:
            return fail(COMMAND, f"refused: {_reason(error)}")
        return await _print_events(subscriber, stop, master_key, as_json=args.json)


async def _subscribe(
    subscriber: Subscriber, app: App, channel: str, user_id: str, user_info: Any
) -> None:
    if channel.startswith(limits.PRESENCE_PREFIX):
        await subscriber.subscribe_signed(
            channel, app, user_id=user_id, user_info=user_info, within=WAIT
        )
    elif channel.startswith(limits.PRIVATE_PREFIX):
        await subscriber.subscribe_signed(channel, app, within=WAIT)
    else:
        await subscriber.subscribe(channel, within=WAIT)


async def _print_events(
    subscriber: Subscriber, stop: asyncio.Event, master_key: MasterKey | None, *, as_json: bool
) -> int:
    from ._subscriber import SubscriberError  # noqa: PLC0415

    stopping = asyncio.ensure_future(stop.wait())
    try:
        while True:
            receiving = asyncio.ensure_future(subscriber.next_event(within=3600))
            await asyncio.wait({stopping, receiving}, return_when=asyncio.FIRST_COMPLETED)
            if stopping.done():
                receiving.cancel()
                _status("stopped")
                return EXIT_OK
            try:
                event = receiving.result()
            except TimeoutError:
                continue
            except SubscriberError as error:
                return fail(COMMAND, _reason(error))
            _print(event, master_key, as_json=as_json)
    finally:
        stopping.cancel()


def _print(event: ReceivedEvent, master_key: MasterKey | None, *, as_json: bool) -> None:
    data = event.data
    opened = None
    if (
        master_key is not None
        and event.channel is not None
        and event.channel.startswith(limits.ENCRYPTED_PREFIX)
        and isinstance(data, str)
    ):
        opened = _open(data, event.channel, master_key)
    shown = opened if opened is not None else data
    if as_json:
        line: dict[str, Any] = {"channel": event.channel, "event": event.event, "data": shown}
        if event.user_id is not None:
            line["user_id"] = event.user_id
        if opened is not None:
            line["decrypted"] = True
        say(dumps(line))
        return
    text = shown if isinstance(shown, str) else dumps(shown)
    who = f"  (user {event.user_id})" if event.user_id is not None else ""
    say(f"{event.channel or '-'}  {event.event}  {text}{who}")


def _open(data: str, channel: str, master_key: MasterKey) -> str | None:
    """The plain text of an encrypted event's data, or None when it cannot be opened."""
    from nacl.bindings import crypto_secretbox_open  # noqa: PLC0415
    from nacl.exceptions import CryptoError  # noqa: PLC0415

    try:
        envelope = loads(data)
        nonce = base64.b64decode(envelope["nonce"], validate=True)
        sealed = base64.b64decode(envelope["ciphertext"], validate=True)
        plain: bytes = crypto_secretbox_open(sealed, nonce, master_key.channel_key(channel))
        return plain.decode("utf-8")
    except (ValueError, KeyError, TypeError, binascii.Error, CryptoError):
        return None


def _status(text: str) -> None:
    say(f"mesg-pusher {COMMAND}: {text}", stream=sys.stderr)


def _reason(error: BaseException) -> str:
    import aiohttp  # noqa: PLC0415

    if isinstance(error, TimeoutError):
        return f"no answer within {WAIT:g} s"
    if isinstance(error, aiohttp.WSServerHandshakeError):
        return f"the server answered HTTP {error.status}, not a websocket"
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return "the server closed the connection (a TLS server? its URL starts with https://)"
    return str(error) or type(error).__name__
