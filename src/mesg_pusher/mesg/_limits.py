"""How much task data this service takes in one execution, whoever hands it over: serve (from
the engine's stream) and the commands that read inputs from a file (``execute``, ``engine
execute``)."""

from __future__ import annotations

from typing import Final

#: Largest task data (an execution's inputs, as JSON) run, in bytes: serve answers a larger
#: execution at once with an error, and a command refuses a larger ``--json`` file.
MAX_INPUT_BYTES: Final = 16 * 1024 * 1024
