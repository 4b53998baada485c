"""The arguments ``mesg-pusher engine`` and its ``execute`` and ``listen`` subcommands share:
the engine release a command speaks, and the service definition the stand-in serves."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .._command_line import definition_text, read_definition
from ..mesg import DefinitionError, ServiceDefinition

if TYPE_CHECKING:
    from ..mesg.protocol import Release
    from ._schema import ServiceSchema


def protocol(text: str) -> Release:
    """An argparse type: an engine release (``v0.16``, ``v0.18.1``)."""
    from ..mesg.protocol import ReleaseError, release  # noqa: PLC0415 - loads gRPC

    try:
        return release(text)
    except ReleaseError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def read_service(path: str | None, chosen: Release | None) -> ServiceDefinition | ServiceSchema:
    """The service definition the stand-in serves: the first generation's form for the first
    generation; from v0.10 either form (the first converted)."""
    if chosen is None or chosen.generation == 1:
        return read_definition(path)
    from ._schema import is_first_generation, load_schema  # noqa: PLC0415

    text = definition_text(path)
    if is_first_generation(text):
        return read_definition(path)
    try:
        return load_schema(text)
    except RecursionError:
        raise DefinitionError(f"{path or 'mesg.yml'} is nested too deeply") from None
