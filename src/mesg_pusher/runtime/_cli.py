"""``mesg-pusher serve``: options and environment in, the service run until a signal.

The first SIGTERM or SIGINT stops the service gracefully, within the grace period counted from
the signal (it stops listening, lets executions finish and submits their results, answers those
it has to stop with an error output, and exits 0); a second one exits at once with status 128 +
the signal's number.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os

from .._command_line import stop_on_signals, usage_error
from .._logs import configure
from ..tasks import ServiceEnvironment
from ._config import ENGINE_PORT, SETTINGS, ConfigError, ServeConfig, defaults, resolve

log = logging.getLogger("mesg_pusher.runtime")

_DESCRIPTION = """\
Serve this service's tasks (every task mesg.yml declares; `mesg-pusher gen-doc` lists them) to
a MESG engine of the v0.1 to v0.9 generation: listen for executions on the engine's gRPC API
(api.Service/ListenTask), run them concurrently, and submit exactly one result per execution
(SubmitResult). This is the command the container runs; the engine gives it MESG_TOKEN and
MESG_ENDPOINT_TCP.

It also receives the Pusher app's webhooks (POST /webhooks on --webhook-listen) and emits each
of their events as a MESG event (EmitEvent), and answers GET /health and GET /metrics there.

Every option can be set by the environment variable named in its help; an option given on the
command line wins. Log lines go to standard error, one per execution (id, task, outcome,
duration) and one per webhook (key, events, outcome, duration) plus connection events; app
secrets, encryption master keys and proxy passwords never appear in them.
"""

_EPILOG = f"""\
environment variables:
  MESG_TOKEN                       the service's token (required); given by the engine
  MESG_ENDPOINT_TCP                the engine's address, host:port (port {ENGINE_PORT} if omitted)
  MESG_ENDPOINT                    read when MESG_ENDPOINT_TCP is unset (engine v0.2 set it to
                                   unix:///mesg/server.sock)
  MESG_PUSHER_MAX_IN_FLIGHT, MESG_PUSHER_QUEUE_SIZE, MESG_PUSHER_MAX_HELD_BYTES,
  MESG_PUSHER_GRACE_PERIOD, MESG_PUSHER_RECONNECT_MAX_DELAY, MESG_PUSHER_SUBMIT_TIMEOUT,
  MESG_PUSHER_LOG_FORMAT, MESG_PUSHER_LOG_LEVEL, MESG_PUSHER_WEBHOOK_LISTEN,
  MESG_PUSHER_STORE, MESG_PUSHER_IDEMPOTENCY_WINDOW
                                   the options above
  PUSHER_APP_KEY, PUSHER_APP_SECRET (or PUSHER_URL)
                                   the Pusher app whose webhooks are verified; without
                                   them every webhook is answered 503; a secret equal to
                                   the key is refused at start

signals:
  SIGTERM, SIGINT                  stop gracefully, exiting within the grace period (exit
                                   status 0); a second one exits at once

exit status:
  0 stopped by a signal with every execution answered; 1 the engine refused the token (or is
  not a MESG engine of this generation) or results could not be submitted; 2 a usage error
  (a webhook address it cannot listen on, or an app secret equal to its key, included)
"""


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
        shown = default.get(setting.field)
        variables = " or ".join(setting.env)
        text = f"{setting.help} (env {variables}"
        text += f"; default {shown})" if shown is not None else ")"
        serve.add_argument(
            setting.option, dest=setting.field, metavar=setting.metavar, default=None, help=text
        )
    serve.set_defaults(run=_serve)


def _serve(args: argparse.Namespace) -> int:
    options = {setting.field: getattr(args, setting.field) for setting in SETTINGS}
    try:
        config = resolve(options, os.environ)
    except ConfigError as error:
        return usage_error("serve", str(error))
    environment = ServiceEnvironment.read(os.environ)  # once, handed on to the service
    if environment.refusal is not None:
        return usage_error("serve", str(environment.refusal))
    configure(config.log_format, config.log_level)
    try:
        return asyncio.run(_main(config, environment))
    except ConfigError as error:  # the webhook address cannot be taken
        return usage_error("serve", str(error))


async def _main(config: ServeConfig, environment: ServiceEnvironment) -> int:
    # gRPC's C core logs connection events as unformatted lines on standard error; keep its
    # errors only (GRPC_VERBOSITY set by the operator wins). It is read when gRPC loads.
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    from ._serve import Service  # noqa: PLC0415 - gRPC loads only when serving

    return await Service(config, environment=environment).run(stop_on_signals(log))
