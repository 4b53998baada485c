"""What ``mesg_pusher_build_info`` says of the service serving: its version, and the generation
of the MESG engine's protocol it speaks, read from the engine's adapter through one accessor
(`engine_generation`).

The hook: an adapter says its generation as ``generation`` (an int, 1 to 5), and an adapter
that asks the engine which protocol it speaks says it through the one it chose (``chosen``)
once it has; until then the generation is ``unknown``. An adapter without the attribute is the
first generation's ``api.Service`` (``_engines/_g1.py``), the only one before the later
generations' adapters came.
"""

from __future__ import annotations

from typing import Final

from .._version import __version__

#: The generation of an adapter that does not say its own (see the module's docstring).
FIRST_GENERATION: Final = 1
UNKNOWN: Final = "unknown"


def engine_generation(api: object) -> int | None:
    """The generation of the engine's protocol `api` speaks, None while it is not known."""
    chosen = getattr(api, "chosen", None)
    if chosen is not None:
        api = chosen
    generation = getattr(api, "generation", FIRST_GENERATION)
    if isinstance(generation, int) and not isinstance(generation, bool) and generation > 0:
        return generation
    return None


def build_labels(api: object | None) -> dict[str, str]:
    """The labels of ``mesg_pusher_build_info`` for a service speaking through `api` (None:
    no engine yet)."""
    generation = engine_generation(api) if api is not None else None
    return {
        "version": __version__,
        "engine_generation": str(generation) if generation is not None else UNKNOWN,
    }
