"""The MESG side: the service definition (mesg.yml), its documentation, and the engine's words
(`words`: every text the engine answers with, as templates that also recognise it)."""

from .. import _words as words
from ._definition import (
    DefinitionError,
    Engine,
    Output,
    Parameter,
    ServiceDefinition,
    Task,
    load,
    load_packaged,
    packaged_text,
    validate,
)
from ._forms import with_env
from ._gendoc import render, render_events, render_tasks

__all__ = [
    "DefinitionError",
    "Engine",
    "Output",
    "Parameter",
    "ServiceDefinition",
    "Task",
    "load",
    "load_packaged",
    "packaged_text",
    "render",
    "render_events",
    "render_tasks",
    "validate",
    "with_env",
    "words",
]
