"""The service's environment, read once: the defaults it gives the connection inputs
(``PUSHER_*``, `mesg_pusher.pusher.EnvironmentDefaults`), the variable that breaks its input's
rule, or an app secret that is its app key (then every execution is answered with that error,
and ``serve`` refuses to start), the further apps whose webhooks ``serve`` takes
(``PUSHER_WEBHOOK_APPS``: ``key:secret,key:secret``; ``serve`` refuses to start when it breaks
its rule), and the secrets it holds, which every execution's messages must hide. ``serve`` reads
it once at start and hands it to the task runner and to the webhook receiver; ``execute`` reads
it for its one execution.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from .._errors import InputError
from .._secret_search import MIN_SCRUBBED
from ..pusher import App, EnvironmentDefaults
from ._inputs import INPUTS, as_inputs
from ._secret_inputs import SAME_AS_KEY, secret_is_key, secrets_of

#: The further Pusher apps whose webhooks ``serve`` verifies, beside the main app's.
WEBHOOK_APPS_VARIABLE: Final = "PUSHER_WEBHOOK_APPS"
_WEBHOOK_APPS_FORM: Final = "a comma list of KEY:SECRET"
#: An app id for checking a key and a secret by the rules of an app (webhooks name no id).
_ANY_APP_ID: Final = "1"


@dataclass(frozen=True, slots=True)
class ServiceEnvironment:
    """What the environment gives; `problem` is None when every variable keeps its rule, and
    `refusal` when the app it configures may be used at all."""

    defaults: EnvironmentDefaults = field(default_factory=EnvironmentDefaults)
    problem: InputError | None = None
    #: What makes the environment unfit to run with (an app secret that is its key), naming
    #: the variable: ``serve`` refuses to start with it.
    refusal: InputError | None = None
    #: The secrets the environment gives (the app secret, the proxy password, the master
    #: key, the secrets of ``PUSHER_WEBHOOK_APPS``): hidden from every execution's messages,
    #: and refused inside its inputs.
    secrets: tuple[str, ...] = field(default=(), repr=False)
    #: The further apps whose webhooks are taken, (key, secret) each, in their order.
    webhook_apps: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    #: What is wrong with ``PUSHER_WEBHOOK_APPS`` (naming an entry, never its text): ``serve``
    #: refuses to start with it.
    webhook_problem: InputError | None = None

    @classmethod
    def read(cls, environ: Mapping[str, str]) -> ServiceEnvironment:
        webhook_apps: tuple[tuple[str, str], ...] = ()
        webhook_problem = None
        text = environ.get(WEBHOOK_APPS_VARIABLE, "")
        try:
            webhook_apps = read_webhook_apps(text)
        except InputError as error:  # names the entry, never its text
            webhook_problem = error
        secrets = _possible_secrets(text)
        try:
            defaults = EnvironmentDefaults.from_environment(environ)
        except InputError as error:  # its message names the variable, never its value
            return cls(
                problem=error,
                secrets=secrets,
                webhook_apps=webhook_apps,
                webhook_problem=webhook_problem,
            )
        found = (
            secrets_of(as_inputs(defaults.variables))
            + secrets_of(as_inputs(defaults.url))
            + list(secrets)
        )
        refusal = None
        if secret_is_key(defaults.apply({}, INPUTS)):
            variable = "PUSHER_APP_SECRET" if "secret" in defaults.variables else "PUSHER_URL"
            refusal = InputError(variable, SAME_AS_KEY)
        return cls(
            defaults,
            secrets=tuple(dict.fromkeys(found)),
            refusal=refusal,
            webhook_apps=webhook_apps,
            webhook_problem=webhook_problem,
        )

    @property
    def error(self) -> InputError | None:
        """What answers every execution instead of running it, if anything."""
        return self.refusal or self.problem


def read_webhook_apps(text: str) -> tuple[tuple[str, str], ...]:
    """The apps ``PUSHER_WEBHOOK_APPS`` names: ``KEY:SECRET`` entries separated by commas
    (spaces around them and an empty entry are let go; a secret may hold ``:``), each keeping
    the rules of an app's key and secret, a secret unlike its key. `InputError` names the
    variable and the entry by its place, never its text. The same app twice counts once."""
    apps: dict[tuple[str, str], None] = {}
    for number, raw in enumerate(text.split(","), 1):
        entry = raw.strip()
        if not entry:
            continue
        where = f"entry {number}"
        key, colon, secret = entry.partition(":")
        key, secret = key.strip(), secret.strip()
        if not colon:
            raise _webhook_apps_error(f"{where} is not KEY:SECRET")
        try:
            App(_ANY_APP_ID, key, secret)
        except InputError as error:
            raise _webhook_apps_error(f"{where}: {error.rule}") from None
        if secret == key:
            raise _webhook_apps_error(f"{where}: its secret {SAME_AS_KEY}")
        apps[key, secret] = None
    return tuple(apps)


def _webhook_apps_error(rule: str) -> InputError:
    return InputError(WEBHOOK_APPS_VARIABLE, f"{rule} ({_WEBHOOK_APPS_FORM})")


def _possible_secrets(text: str) -> tuple[str, ...]:
    """What in ``PUSHER_WEBHOOK_APPS`` could be a secret, even when it breaks its rule: what
    follows an entry's first ``:``, or a whole entry without one."""
    found = []
    for entry in text.split(","):
        _, colon, secret = entry.partition(":")
        found.append((secret if colon else entry).strip())
    return tuple(dict.fromkeys(s for s in found if len(s) >= MIN_SCRUBBED))
