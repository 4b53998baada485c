"""The MESG side: the service definition (mesg.yml), its documentation, and the engine's words
(`words`: every text the engine answers with, as templates that also recognise it)."""

from . import _words as words
from ._definition import (
    DefinitionError,
    Output,
    Parameter,
    ServiceDefinition,
    Task,
    load,
    load_packaged,
    validate,
)
from ._gendoc import render, render_events, render_tasks

__all__ = [
    "DefinitionError",
    "Output",
    "Parameter",
    "ServiceDefinition",
    "Task",
    "load",
    "load_packaged",
    "render",
    "render_events",
    "render_tasks",
    "validate",
    "words",
]
