"""What ``demo --stay`` tells a developer to run from another terminal, written so that each line
runs as it is printed: an execution through the demo's engine (``mesg-pusher engine execute``,
which serve runs), its results and events as they come (``engine listen``), and one execution
without the engine (``execute``, with the local server's app in ``PUSHER_URL``). Pure."""

from __future__ import annotations

import shlex

from ..mesg import CREDENTIAL_VARIABLES
from ..pusher import App
from ._scenario import PUBLIC_CHANNEL

#: What the printed executions publish.
TRIGGER_INPUTS = (f"channel={PUBLIC_CHANNEL}", "name=hello", 'data={"from":"a terminal"}')


def stay_commands(
    endpoint: str,
    service: str,
    app: App,
    pusher_port: int,
    *,
    protocol: str | None = None,
    credentials: tuple[str, str] | None = None,
    identity_file: str | None = None,
) -> list[tuple[str, str]]:
    """(what it does, the command) for the demo's engine at `endpoint`, its service `service`
    (the id that engine's application API names it by), speaking `protocol` (a release; None:
    the first generation), and the local server on `pusher_port` serving `app`. v0.17.0's
    application calls carry an account's `credentials` (in the variables `engine execute` reads
    them from); from v0.21 they are signed with the key in `identity_file`."""
    engine = ["--endpoint", endpoint, "--service", service]
    if protocol is not None:
        engine += ["--protocol", protocol]
    if identity_file is not None:
        engine += ["--identity", identity_file]
    prefix = ""
    if credentials is not None:
        pairs = zip(CREDENTIAL_VARIABLES, credentials, strict=True)
        prefix = " ".join(f"{name}={shlex.quote(value)}" for name, value in pairs) + " "
    data = [item for pair in TRIGGER_INPUTS for item in ("-d", pair)]
    url = f"http://{app.key}:{app.secret}@127.0.0.1:{pusher_port}/apps/{app.app_id}"
    return [
        (
            "an execution through the engine, run by serve",
            prefix + shlex.join(["mesg-pusher", "engine", "execute", *engine, "trigger", *data]),
        ),
        (
            "the results and events of the engine as they come",
            prefix + shlex.join(["mesg-pusher", "engine", "listen", *engine]),
        ),
        (
            "an execution without the engine",
            f"PUSHER_URL={shlex.quote(url)} "
            + shlex.join(["mesg-pusher", "execute", "trigger", *data]),
        ),
    ]
