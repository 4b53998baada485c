"""The service's environment, read once: the defaults it gives the connection inputs
(``PUSHER_*``, `mesg_pusher.pusher.EnvironmentDefaults`), the variable that breaks its input's
rule, or an app secret that is its app key (then every execution is answered with that error,
and ``serve`` refuses to start), and the secrets it holds, which every execution's messages must
hide. ``serve`` reads it once at start and hands it to the task
runner and to the webhook receiver; ``execute`` reads it for its one execution.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .._errors import InputError
from ..pusher import EnvironmentDefaults
from ._inputs import INPUTS, as_inputs
from ._secret_inputs import SAME_AS_KEY, secret_is_key, secrets_of


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
    #: key): hidden from every execution's messages, and refused inside its inputs.
    secrets: tuple[str, ...] = ()

    @classmethod
    def read(cls, environ: Mapping[str, str]) -> ServiceEnvironment:
        try:
            defaults = EnvironmentDefaults.from_environment(environ)
        except InputError as error:  # its message names the variable, never its value
            return cls(problem=error)
        secrets = tuple(
            dict.fromkeys(
                secrets_of(as_inputs(defaults.variables)) + secrets_of(as_inputs(defaults.url))
            )
        )
        refusal = None
        if secret_is_key(defaults.apply({}, INPUTS)):
            variable = "PUSHER_APP_SECRET" if "secret" in defaults.variables else "PUSHER_URL"
            refusal = InputError(variable, SAME_AS_KEY)
        return cls(defaults, secrets=secrets, refusal=refusal)

    @property
    def error(self) -> InputError | None:
        """What answers every execution instead of running it, if anything."""
        return self.refusal or self.problem
