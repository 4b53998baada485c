"""What the later generations (v0.10 on) check values against: a service's tasks with their
inputs and outputs, and its events with their data, each a list of parameters that may be
`repeated`, hold a nested `object`, or be of type ``Any``.

A `ServiceSchema` comes from a definition in the later form (`load_schema`: a task's
``outputs`` are its parameters, there are no output keys) or from a first-generation
definition (`schema_of`): a task's outputs become its ``success`` output's data (the first
output when it has no ``success``), as a service that answered ``success`` in the first
generation answers outputs from v0.10, errors travelling as the execution's error. A
first-generation ``Object`` (an object or an array) becomes ``Any``, the one later type that
takes both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import yaml

from ..mesg import DefinitionError, ServiceDefinition
from ..mesg import Parameter as FirstParameter

#: The types the later engines know; any other is refused per value ("an invalid type").
TYPES: Final = ("String", "Number", "Boolean", "Object", "Any")
_SUCCESS: Final = "success"


@dataclass(frozen=True, slots=True)
class Param:
    key: str
    type: str = "String"
    optional: bool = False
    repeated: bool = False
    object: tuple[Param, ...] = ()


@dataclass(frozen=True, slots=True)
class TaskSchema:
    key: str
    inputs: tuple[Param, ...] = ()
    outputs: tuple[Param, ...] = ()


@dataclass(frozen=True, slots=True)
class ServiceSchema:
    name: str
    tasks: Mapping[str, TaskSchema] = field(default_factory=dict)
    events: Mapping[str, tuple[Param, ...]] = field(default_factory=dict)


def schema_of(definition: ServiceDefinition) -> ServiceSchema:
    """The later form of a first-generation definition (see the module's note)."""
    tasks = {}
    for key, task in definition.tasks.items():
        output = task.outputs.get(_SUCCESS) or next(iter(task.outputs.values()), None)
        outputs = _converted(output.data) if output is not None else ()
        tasks[key] = TaskSchema(key, _converted(task.inputs), outputs)
    events = {key: _converted(event.data) for key, event in definition.events.items()}
    return ServiceSchema(definition.name, tasks, events)


def _converted(parameters: Mapping[str, FirstParameter]) -> tuple[Param, ...]:
    return tuple(
        Param(key, "Any" if parameter.type == "Object" else parameter.type, parameter.optional)
        for key, parameter in sorted(parameters.items())
    )


def load_schema(text: str) -> ServiceSchema:
    """A definition in the later form (v0.10 on): ``name``, ``tasks`` (``inputs``,
    ``outputs``), ``events`` (``data``), parameters with ``type``, ``optional``, ``repeated``
    and ``object``. Other keys are left alone, as the CLIs that compiled it dropped them."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise DefinitionError(f"mesg.yml is not valid YAML: {error}") from None
    root = _mapping(raw, "mesg.yml")
    name = root.get("name")
    if not isinstance(name, str) or not name:
        raise DefinitionError("mesg.yml: name is required")
    tasks = {}
    for key, body in _mapping(root.get("tasks") or {}, "tasks").items():
        task = _mapping(body or {}, f"tasks.{key}")
        tasks[str(key)] = TaskSchema(
            str(key),
            _params(task.get("inputs"), f"tasks.{key}.inputs"),
            _params(task.get("outputs"), f"tasks.{key}.outputs"),
        )
    events = {
        str(key): _params(_mapping(body or {}, f"events.{key}").get("data"), f"events.{key}.data")
        for key, body in _mapping(root.get("events") or {}, "events").items()
    }
    return ServiceSchema(name, tasks, events)


def is_first_generation(text: str) -> bool:
    """Whether a definition is in the first generation's form: some task output has ``data``
    (an output key holding parameters) rather than being a parameter itself."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError:
        return True  # let the first generation's reader report it
    tasks = raw.get("tasks") if isinstance(raw, dict) else None
    if not isinstance(tasks, dict):
        return True
    for task in tasks.values():
        outputs = task.get("outputs") if isinstance(task, dict) else None
        if isinstance(outputs, dict):
            for output in outputs.values():
                if isinstance(output, dict) and isinstance(output.get("data"), dict):
                    return True
                if isinstance(output, dict) and "type" in output:
                    return False
    return True


def _params(raw: Any, where: str) -> tuple[Param, ...]:
    if raw is None:
        return ()
    return tuple(
        _param(str(key), body, f"{where}.{key}") for key, body in _mapping(raw, where).items()
    )


def _param(key: str, raw: Any, where: str) -> Param:
    body = _mapping(raw if raw is not None else {}, where)
    kind = body.get("type")
    if not isinstance(kind, str):
        raise DefinitionError(f"{where}.type: one of {', '.join(TYPES)} is required")
    flags = {}
    for flag in ("optional", "repeated"):
        value = body.get(flag, False)
        if not isinstance(value, bool):
            raise DefinitionError(f"{where}.{flag}: a boolean")
        flags[flag] = value
    return Param(
        key,
        kind,
        flags["optional"],
        flags["repeated"],
        _params(body.get("object"), f"{where}.object"),
    )


def _mapping(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise DefinitionError(f"{where}: a mapping is expected")
    return raw


def keys(parameters: Sequence[Param]) -> list[str]:
    return [parameter.key for parameter in parameters]
