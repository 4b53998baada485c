"""``mesg-pusher serve``: options and environment in, the service run until a signal; and
``mesg-pusher health``, which asks a running serve's ``/health`` (the container's HEALTHCHECK).

The first SIGTERM or SIGINT stops the service gracefully, within the grace period counted from
the signal (it stops listening, lets executions finish and submits their results, answers those
it has to stop with an error output, and exits 0); a second one exits at once with status 128 +
the signal's number.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import logging
import os
from typing import Final

from .._command_line import EXIT_FAILURE, EXIT_OK, fail, say, stop_on_signals, usage_error
from .._logs import configure
from ..tasks import ServiceEnvironment
from ._config import (
    ENGINE_PORT,
    SETTINGS,
    ConfigError,
    ServeConfig,
    defaults,
    listen_address,
    resolve,
)

log = logging.getLogger("mesg_pusher.runtime")

_DESCRIPTION = """\
Serve this service's tasks (every task mesg.yml declares; `mesg-pusher gen-doc` lists them) to
a MESG engine of any release, v0.1 to v0.26: listen for executions on the engine's gRPC API,
run them concurrently, and submit exactly one result per execution. This is the command the
container runs; the engine gives it its address and identity (MESG_TOKEN and MESG_ENDPOINT_TCP
to v0.9, MESG_TOKEN and MESG_ENDPOINT from v0.10, the instance and runner hashes from v0.17, a
registration from v0.21). --engine (MESG_PUSHER_ENGINE) names the release; by default (auto)
serve finds the protocol from those variables and, where they leave several, from what the
engine answers, and its first log line names the one it speaks.

It also receives the webhooks of the Pusher app and of PUSHER_WEBHOOK_APPS (POST /webhooks on
--webhook-listen) and emits their events as MESG events (EmitEvent), as --webhook-events and
--webhook-channels choose, and answers GET /health and GET /metrics on --admin-listen.

Every option can be set by the environment variable named in its help; an option given on the
command line wins. Log lines go to standard error, one per execution (id, task, outcome,
duration) and one per webhook (key, events, outcome, duration) plus connection events; app
secrets, encryption master keys and proxy passwords never appear in them.
"""

_EPILOG = f"""\
environment variables:
  MESG_TOKEN                       the service's token (v0.1 to v0.16); given by the engine
  MESG_ENDPOINT_TCP                the engine's address, host:port (port {ENGINE_PORT} if omitted)
  MESG_ENDPOINT                    read when MESG_ENDPOINT_TCP is unset (engine v0.2 set it to
                                   unix:///mesg/server.sock; from v0.10 the only one)
  MESG_INSTANCE_HASH, MESG_RUNNER_HASH
                                   the service's instance and runner (v0.17 on)
  MESG_SERVICE_HASH, MESG_ENV_HASH, MESG_REGISTER_SIGNATURE
                                   the registration serve makes (v0.21 on)
  MESG_PUSHER_CREDENTIAL_USERNAME, MESG_PUSHER_CREDENTIAL_PASSPHRASE
                                   an account's, sent with every result: v0.17.0 refuses
                                   results without them
  MESG_PUSHER_ENGINE, MESG_PUSHER_MAX_IN_FLIGHT, MESG_PUSHER_QUEUE_SIZE,
  MESG_PUSHER_MAX_HELD_BYTES, MESG_PUSHER_GRACE_PERIOD, MESG_PUSHER_RECONNECT_MAX_DELAY,
  MESG_PUSHER_SUBMIT_TIMEOUT, MESG_PUSHER_LOG_FORMAT, MESG_PUSHER_LOG_LEVEL,
  MESG_PUSHER_WEBHOOK_LISTEN, MESG_PUSHER_ADMIN_LISTEN, MESG_PUSHER_WEBHOOK_EVENTS,
  MESG_PUSHER_WEBHOOK_CHANNELS, MESG_PUSHER_MAX_MEMBER_INFO_BYTES, MESG_PUSHER_STORE,
  MESG_PUSHER_IDEMPOTENCY_WINDOW
                                   the options above
  PUSHER_APP_KEY, PUSHER_APP_SECRET (or PUSHER_URL)
                                   the Pusher app whose webhooks are verified; without
                                   an app every webhook is answered 503; a secret equal to
                                   the key is refused at start
  PUSHER_WEBHOOK_APPS              more apps whose webhooks are verified, KEY:SECRET,KEY:SECRET
                                   (each event's app_key says whose it is); one that breaks
                                   this form is refused at start

signals:
  SIGTERM, SIGINT                  stop gracefully, exiting within the grace period (exit
                                   status 0); a second one exits at once

exit status:
  0 stopped by a signal with every execution answered; 1 the engine refused the service's
  identity (or speaks no protocol serve could use there) or results could not be submitted;
  2 a usage error (an engine release it does not know, missing engine variables, a webhook
  address it cannot listen on, or an app secret equal to its key, included)
"""
#: How long ``health`` waits for the answer.
HEALTH_TIMEOUT: Final = 3.0


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "serve",
        help="serve the tasks to a MESG engine (what the container runs)",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    default = defaults()
    for setting in SETTINGS:
        if not setting.option:  # the engine's own variables: no option
            continue
        shown = default.get(setting.field)
        variables = " or ".join(setting.env)
        text = f"{setting.help} (env {variables}"
        text += f"; default {shown})" if shown not in (None, "", ()) else ")"
        serve.add_argument(
            setting.option, dest=setting.field, metavar=setting.metavar, default=None, help=text
        )
    serve.set_defaults(run=_serve)
    check = commands.add_parser(
        "health",
        help="ask a running serve whether it is up (the container's HEALTHCHECK)",
        description=(
            "GET /health on serve's admin address, --admin-listen or MESG_PUSHER_ADMIN_LISTEN "
            "(the container sets 127.0.0.1:3001; 0.0.0.0 and :: are asked on loopback), and "
            "print what it says. Exit status 0 when serve is up (its task stream with the "
            "engine open), 1 otherwise: down, stopping, not answering, or no fixed address to "
            "ask (as Docker's HEALTHCHECK reads it)."
        ),
    )
    check.add_argument(
        "--admin-listen",
        dest="admin_listen",
        metavar="HOST:PORT",
        default=None,
        help="serve's admin address (default: MESG_PUSHER_ADMIN_LISTEN)",
    )
    check.set_defaults(run=_health)


def _serve(args: argparse.Namespace) -> int:
    options = {s.field: getattr(args, s.field) for s in SETTINGS if s.option}
    try:
        config = resolve(options, os.environ)
    except ConfigError as error:
        return usage_error("serve", str(error))
    environment = ServiceEnvironment.read(os.environ)  # once, handed on to the service
    if environment.refusal is not None:
        return usage_error("serve", str(environment.refusal))
    if environment.webhook_problem is not None:
        return usage_error("serve", str(environment.webhook_problem))
    configure(config.log_format, config.log_level)
    try:
        return asyncio.run(_main(config, environment))
    except ConfigError as error:  # an address cannot be taken
        return usage_error("serve", str(error))


def _health(args: argparse.Namespace) -> int:
    """``mesg-pusher health``: every failure is status 1, which Docker reads as unhealthy (2
    is reserved there)."""
    text = args.admin_listen or os.environ.get("MESG_PUSHER_ADMIN_LISTEN", "").strip()
    if not text:
        return fail("health", "no admin address: set MESG_PUSHER_ADMIN_LISTEN (or --admin-listen)")
    try:
        address = listen_address(text, "admin-listen")
    except ConfigError as error:
        return fail("health", str(error))
    if address is None or address[1] == 0:
        return fail("health", f"admin-listen is {text}: no fixed address to ask")
    host, port = address
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104 - asked, not bound
    connection = http.client.HTTPConnection(host, port, timeout=HEALTH_TIMEOUT)
    try:
        connection.request("GET", "/health")
        answer = connection.getresponse()
        status, body = answer.status, answer.read(4096)
    except (OSError, http.client.HTTPException) as error:
        return fail("health", f"no answer from {text}: {error}")
    finally:
        connection.close()
    try:
        said = json.loads(body)
        words = said["status"] + (f": {said['reason']}" if "reason" in said else "")
    except (ValueError, TypeError, KeyError):
        words = f"answered {status}"
    say(words)
    return EXIT_OK if status == 200 else EXIT_FAILURE


async def _main(config: ServeConfig, environment: ServiceEnvironment) -> int:
    # gRPC's C core logs connection events as unformatted lines on standard error; keep its
    # errors only (GRPC_VERBOSITY set by the operator wins). It is read when gRPC loads.
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    from ._serve import Service  # noqa: PLC0415 - gRPC loads only when serving

    return await Service(config, environment=environment).run(stop_on_signals(log))
