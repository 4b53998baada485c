"""The service's environment, read once: the defaults it gives the connection inputs
(``PUSHER_*``, `mesg_pusher.pusher.EnvironmentDefaults`), the variable that breaks its input's
rule (then every execution is answered with that error), and the secrets it holds, which every
execution's messages must hide. ``serve`` reads it once at start and hands it to the task
runner and to the webhook receiver; ``execute`` reads it for its one execution.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .._errors import InputError
from ..pusher import EnvironmentDefaults
from ._secret_inputs import secrets_of


@dataclass(frozen=True, slots=True)
class ServiceEnvironment:
    """What the environment gives; `problem` is None when every variable keeps its rule."""

    defaults: EnvironmentDefaults = field(default_factory=EnvironmentDefaults)
    problem: InputError | None = None
    #: The secrets the environment gives (the app secret, the proxy password, the master
    #: key): hidden from every execution's messages, and refused inside its inputs.
    secrets: tuple[str, ...] = ()

    @classmethod
    def read(cls, environ: Mapping[str, str]) -> ServiceEnvironment:
        try:
            defaults = EnvironmentDefaults.from_environment(environ)
        except InputError as error:  # its message names the variable, never its value
            return cls(problem=error)
        secrets = secrets_of(defaults.variables) + secrets_of(defaults.url)
        return cls(defaults, None, tuple(dict.fromkeys(secrets)))
