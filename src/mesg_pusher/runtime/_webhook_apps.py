"""The Pusher app whose webhooks ``serve`` receives: its key and secret, taken from the service's
environment as the tasks take their defaults (`mesg_pusher.tasks.ServiceEnvironment`, read once:
``PUSHER_APP_KEY`` and ``PUSHER_APP_SECRET``, or ``PUSHER_URL``). Pure: the environment is
passed in. Without both, or with a variable that breaks its rule, no app is configured and
every webhook is answered 503 (the sender retries), with the reason logged once at start.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..tasks import ServiceEnvironment


@dataclass(frozen=True, slots=True)
class WebhookApp:
    """What verifying a webhook needs of an app. The secret is kept out of `repr`."""

    key: str
    secret: str = field(repr=False)


def webhook_apps(
    environment: ServiceEnvironment,
) -> tuple[tuple[WebhookApp, ...], str | None]:
    """The apps `environment` configures, and why there are none (None when there is one)."""
    if environment.problem is not None:  # its message names the variable, never its value
        return (), f"no Pusher app for webhooks: {environment.problem}"
    given = environment.defaults.apply({})
    key, secret = given.get("key"), given.get("secret")
    if key and secret:
        return (WebhookApp(str(key), str(secret)),), None
    missing = "PUSHER_APP_SECRET" if key else "PUSHER_APP_KEY"
    if key or secret:
        return (), f"no Pusher app for webhooks: {missing} is not set (nor PUSHER_URL)"
    return (), (
        "no Pusher app for webhooks: set PUSHER_APP_KEY and PUSHER_APP_SECRET, or PUSHER_URL"
    )
