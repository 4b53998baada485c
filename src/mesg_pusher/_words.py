"""The engine's texts moved to ``_engine_texts.py``; this name is kept for the branches that still
import it (mesg/), and goes once they import the new one."""

from ._engine_texts import *  # noqa: F403
