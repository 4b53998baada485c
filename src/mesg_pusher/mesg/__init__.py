"""The MESG side: the service definition (mesg.yml) and its documentation."""

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
]
