"""The Pusher apps whose webhooks ``serve`` receives: the main app's key and secret, taken from
the service's environment as the tasks take their defaults (`mesg_pusher.tasks.ServiceEnvironment`,
read once: ``PUSHER_APP_KEY`` and ``PUSHER_APP_SECRET``, or ``PUSHER_URL``), then each app of
``PUSHER_WEBHOOK_APPS`` (``key:secret,key:secret``: a staging app beside production, or a second
token while one is rotated). Several apps may share a key: a webhook signed by any of their
secrets is taken. Pure: the environment is passed in.

With no app at all, or with a ``PUSHER_*`` variable that breaks its rule, no app is configured
and every webhook is answered 503 (the sender retries), with the reason logged once at start. A
``PUSHER_WEBHOOK_APPS`` that breaks its rule stops ``serve`` from starting (``_cli.py``).
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
    """The apps `environment` configures, and what to warn of at start: why there are none, or
    why the main app is not among them (None when nothing is amiss)."""
    if environment.problem is not None:  # its message names the variable, never its value
        return (), f"no Pusher app for webhooks: {environment.problem}"
    if environment.webhook_problem is not None:
        return (), f"no Pusher app for webhooks: {environment.webhook_problem}"
    more = tuple(WebhookApp(key, secret) for key, secret in environment.webhook_apps)
    given = environment.defaults.apply({})
    key, secret = given.get("key"), given.get("secret")
    if key and secret:
        main = WebhookApp(str(key), str(secret))
        return tuple(dict.fromkeys((main, *more))), None
    if key or secret:
        missing = "PUSHER_APP_SECRET" if key else "PUSHER_APP_KEY"
        reason = f"{missing} is not set (nor PUSHER_URL)"
        if more:
            return more, f"the main app takes no webhooks: {reason}"
        return (), f"no Pusher app for webhooks: {reason}"
    if more:
        return more, None
    return (), (
        "no Pusher app for webhooks: set PUSHER_APP_KEY and PUSHER_APP_SECRET, or PUSHER_URL "
        "(and PUSHER_WEBHOOK_APPS for more apps)"
    )
