"""The one-command local demo: local Pusher server, engine stand-in, ``serve`` and a subscriber."""

from ._api_steps import api_steps
from ._cli import add_commands
from ._scenario import Step, steps

__all__ = ["Step", "add_commands", "api_steps", "steps"]
