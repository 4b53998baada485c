"""The service definition (mesg.yml, the engine's v0.2 format) and the engine's value rules.

`load` reads the form every engine of the generation reads; with ``engine="v0.6"`` it also
takes what v0.6 added, ``configuration.env`` (``KEY=VALUE`` entries, each key once), which the
older engines refuse.

`validate` applies the rules the engine applies to task inputs and outputs, with its message
forms: only declared parameters are checked, a missing or null value is an error unless the
parameter is optional, ``Object`` means a JSON object or array, and problems are joined by ``. ``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Final, Literal

import yaml

from .._errors import MesgPusherError
from .._words import NOT_OF_TYPE, REQUIRED

ParameterType = Literal["String", "Number", "Boolean", "Object"]
TYPES: Final[tuple[ParameterType, ...]] = ("String", "Number", "Boolean", "Object")
_KEY = re.compile(r"[a-zA-Z_-]+")
_TOP_KEYS: Final = frozenset(
    {"name", "description", "repository", "tasks", "events", "dependencies", "configuration", "sid"}
)
_TASK_KEYS: Final = frozenset({"name", "description", "inputs", "outputs", "secrets"})
_OUTPUT_KEYS: Final = frozenset({"name", "description", "data"})
_PARAMETER_KEYS: Final = frozenset({"name", "description", "type", "optional"})
#: What ``configuration`` (the service's own container) takes, by the engines that read it.
Engine = Literal["v0.1", "v0.6"]
_CONFIGURATION_KEYS: Final[Mapping[Engine, frozenset[str]]] = {
    "v0.1": frozenset({"image", "command", "volumes", "volumesfrom", "ports"}),
    "v0.6": frozenset({"image", "command", "volumes", "volumesfrom", "ports", "env"}),
}
_ENV_ENTRY: Final = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=[ -~]*")
_PROBLEMS: Final[dict[ParameterType, str]] = {kind: NOT_OF_TYPE[kind] for kind in TYPES}


class DefinitionError(MesgPusherError):
    """mesg.yml does not follow the engine's format."""


@dataclass(frozen=True, slots=True)
class Parameter:
    key: str
    type: ParameterType = "String"
    description: str = ""
    name: str = ""
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Output:
    key: str
    data: Mapping[str, Parameter]
    description: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class Task:
    key: str
    inputs: Mapping[str, Parameter]
    outputs: Mapping[str, Output]
    description: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class ServiceDefinition:
    name: str
    tasks: Mapping[str, Task] = field(default_factory=dict)
    description: str = ""
    repository: str = ""
    events: Mapping[str, Output] = field(default_factory=dict)


def validate(
    parameters: Mapping[str, Parameter], values: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """The engine's problems with `values`, as ``(key, problem)`` pairs in key order."""
    problems = []
    for key in sorted(parameters):
        parameter = parameters[key]
        value = values.get(key)
        if value is None:
            if not parameter.optional:
                problems.append((key, REQUIRED))
        elif not _has_type(value, parameter.type):
            problems.append((key, _PROBLEMS[parameter.type]))
    return problems


def _has_type(value: Any, kind: ParameterType) -> bool:
    if kind == "String":
        return isinstance(value, str)
    if kind == "Number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "Boolean":
        return isinstance(value, bool)
    return isinstance(value, dict | list)


def load(text: str, *, engine: Engine = "v0.1") -> ServiceDefinition:
    """Parse and check mesg.yml text, as read by engines from `engine` on."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise DefinitionError(f"mesg.yml is not valid YAML: {error}") from None
    root = _mapping(raw, "mesg.yml", _TOP_KEYS)
    name = root.get("name")
    if not isinstance(name, str) or not name:
        raise DefinitionError("mesg.yml: name is required")
    if root.get("configuration") is not None:
        _configuration(root["configuration"], engine)
    tasks = {key: _task(key, value) for key, value in _entries(root, "tasks")}
    events = {key: _output(key, value, f"events.{key}") for key, value in _entries(root, "events")}
    return ServiceDefinition(
        name=name,
        tasks=tasks,
        description=_text(root, "description", "mesg.yml"),
        repository=_text(root, "repository", "mesg.yml"),
        events=events,
    )


def load_packaged() -> ServiceDefinition:
    """The definition shipped with this package (the service directory's mesg.yml)."""
    return load(packaged_text())


def packaged_text() -> str:
    """The text of the packaged mesg.yml."""
    return resources.files("mesg_pusher").joinpath("mesg.yml").read_text("utf-8")


def _configuration(raw: Any, engine: Engine) -> None:
    where = "configuration"
    allowed = _CONFIGURATION_KEYS[engine]
    if isinstance(raw, dict) and "env" in raw and "env" not in allowed:
        raise DefinitionError(
            f"{where}: unknown keys env (configuration.env arrived in engine v0.6; the engines "
            "before it refuse a mesg.yml that has it)"
        )
    body = _mapping(raw, where, allowed)
    for key in ("image", "command"):
        _text(body, key, where)
    for key in sorted(allowed - {"image", "command"}):
        values = body.get(key)
        if values is None:
            continue
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise DefinitionError(f"{where}.{key}: a list of strings is expected")
        if len(set(values)) != len(values):
            raise DefinitionError(f"{where}.{key}: each entry once")
    names = [_env_name(entry) for entry in body.get("env") or ()]
    if len(set(names)) != len(names):
        raise DefinitionError(f"{where}.env: each variable once")


def _env_name(entry: str) -> str:
    match = _ENV_ENTRY.fullmatch(entry)
    if match is None:
        raise DefinitionError(
            f"configuration.env: {entry!r} is not KEY=VALUE (a variable name, =, printable ASCII)"
        )
    return match.group(1)


def _task(key: str, raw: Any) -> Task:
    where = f"tasks.{key}"
    body = _mapping(raw, where, _TASK_KEYS)
    if "outputs" not in body:
        raise DefinitionError(f"{where}: outputs are required")
    return Task(
        key=key,
        inputs=_parameters(body.get("inputs"), f"{where}.inputs"),
        outputs={
            k: _output(k, v, f"{where}.outputs.{k}") for k, v in _entries(body, "outputs", where)
        },
        description=_text(body, "description", where),
        name=_text(body, "name", where),
    )


def _output(key: str, raw: Any, where: str) -> Output:
    body = _mapping(raw, where, _OUTPUT_KEYS)
    if "data" not in body:
        raise DefinitionError(f"{where}: data is required")
    return Output(
        key=key,
        data=_parameters(body["data"], f"{where}.data"),
        description=_text(body, "description", where),
        name=_text(body, "name", where),
    )


def _parameters(raw: Any, where: str) -> dict[str, Parameter]:
    if raw is None:
        return {}
    entries = _mapping(raw, where, None)
    parameters = {}
    for key, value in entries.items():
        spot = f"{where}.{key}"
        # Parameter keys too: the v0.1 and v0.2 importers refuse the whole file otherwise.
        if not _KEY.fullmatch(str(key)):
            raise DefinitionError(f"{spot}: a key matches ^[a-zA-Z_-]+$")
        body = _mapping(value if value is not None else {}, spot, _PARAMETER_KEYS)
        kind = body.get("type", "String")
        if kind not in TYPES:
            raise DefinitionError(f"{spot}.type: one of {', '.join(TYPES)} (got {kind!r})")
        optional = body.get("optional", False)
        if not isinstance(optional, bool):
            raise DefinitionError(f"{spot}.optional: a boolean")
        parameters[str(key)] = Parameter(
            key=str(key),
            type=kind,
            description=_text(body, "description", spot),
            name=_text(body, "name", spot),
            optional=optional,
        )
    return parameters


def _entries(
    body: Mapping[str, Any], field_name: str, where: str = "mesg.yml"
) -> list[tuple[str, Any]]:
    raw = body.get(field_name)
    if raw is None:
        return []
    entries = _mapping(raw, f"{where}.{field_name}", None)
    for key in entries:
        if not _KEY.fullmatch(str(key)):
            raise DefinitionError(f"{where}.{field_name}.{key}: a key matches ^[a-zA-Z_-]+$")
    return [(str(k), v) for k, v in entries.items()]


def _mapping(raw: Any, where: str, allowed: frozenset[str] | None) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise DefinitionError(f"{where}: a mapping is expected")
    if allowed is not None:
        unknown = sorted(str(k) for k in raw if k not in allowed)
        if unknown:
            raise DefinitionError(f"{where}: unknown keys {', '.join(unknown)}")
    return raw


def _text(body: Mapping[str, Any], key: str, where: str) -> str:
    value = body.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DefinitionError(f"{where}.{key}: a string is expected")
    return value
