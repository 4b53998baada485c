"""mesg-pusher: a MESG service that publishes realtime events through Pusher Channels.

The parts: `mesg_pusher.pusher` (a Pusher Channels HTTP client), `mesg_pusher.tasks` (the
service's tasks), `mesg_pusher.mesg` (mesg.yml), and the command line in `mesg_pusher.cli`.
This module holds what all of them share: the version and the exception tree.
"""

from ._errors import (
    InputError,
    InputsInvalid,
    MesgPusherError,
    PusherConnectionError,
    PusherError,
    PusherHTTPError,
    PusherTimeoutError,
)
from ._version import __version__

__all__ = [
    "InputError",
    "InputsInvalid",
    "MesgPusherError",
    "PusherConnectionError",
    "PusherError",
    "PusherHTTPError",
    "PusherTimeoutError",
    "__version__",
]
