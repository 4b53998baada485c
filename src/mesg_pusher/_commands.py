"""What every subcommand shares moved to ``_command_line.py``; this name is kept for the branches
that still import it (engine/, local_server/), and goes once they import the new one."""

from ._command_line import *  # noqa: F403
