"""The MESG side: the engine's releases (`Release`: what each one speaks and accepts), the
service definition (mesg.yml), what each engine release accepts in it and the form each one
deploys, its documentation, the engine's hashes in base58, and the engine's words (`words`:
every text the engine answers with, as templates that also recognise it)."""

from .. import _engine_texts as words
from ._base58 import b58decode, b58encode
from ._check import Finding, Verdict, check_tree
from ._compiled import compiled_service
from ._definition import (
    FIRST_GENERATION,
    Container,
    DefinitionError,
    OldestRelease,
    Output,
    Parameter,
    ServiceDefinition,
    Task,
    grouped,
    load,
    load_packaged,
    packaged_text,
    parse_tree,
    validate,
)
from ._forms import FORM_NAMES, FORMS, Form, definition_for, detect_form, form_of, with_env
from ._gendoc import render, render_events, render_tasks
from ._later import (
    SHAPES,
    SID,
    LaterDefinition,
    LaterEvent,
    LaterParameter,
    LaterTask,
    Price,
    Shape,
    later_definition,
    render_later,
)
from ._limits import MAX_INPUT_BYTES
from ._releases import (
    CREDENTIAL_VARIABLES,
    RELEASES,
    Release,
    ReleaseError,
    normalized,
    release,
    releases,
    spans,
)
from ._rules import Rules, rules_for
from ._service_dir import (
    DEPLOY,
    IMAGE_LISTEN,
    REQUIREMENTS,
    Package,
    build_wheel,
    deploy_hint,
    dockerfile,
    service_files,
)

__all__ = [
    "CREDENTIAL_VARIABLES",
    "DEPLOY",
    "FIRST_GENERATION",
    "FORMS",
    "FORM_NAMES",
    "IMAGE_LISTEN",
    "MAX_INPUT_BYTES",
    "RELEASES",
    "REQUIREMENTS",
    "SHAPES",
    "SID",
    "Container",
    "DefinitionError",
    "Finding",
    "Form",
    "LaterDefinition",
    "LaterEvent",
    "LaterParameter",
    "LaterTask",
    "OldestRelease",
    "Output",
    "Package",
    "Parameter",
    "Price",
    "Release",
    "ReleaseError",
    "Rules",
    "ServiceDefinition",
    "Shape",
    "Task",
    "Verdict",
    "b58decode",
    "b58encode",
    "build_wheel",
    "check_tree",
    "compiled_service",
    "definition_for",
    "deploy_hint",
    "detect_form",
    "dockerfile",
    "form_of",
    "grouped",
    "later_definition",
    "load",
    "load_packaged",
    "normalized",
    "packaged_text",
    "parse_tree",
    "release",
    "releases",
    "render",
    "render_events",
    "render_later",
    "render_tasks",
    "rules_for",
    "service_files",
    "spans",
    "validate",
    "with_env",
    "words",
]
