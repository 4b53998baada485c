"""The service definition (mesg.yml in the first generation's form) and the engine's value rules.

`load` reads a definition that every first-generation engine reads (v0.1.0 to v0.9.1), or with
``engine="v0.6"`` one for v0.6.0 to v0.9.1, which may declare ``configuration.env``. Whether a
release reads a file is decided by that release's own rules (`_rules`, applied by `_check`);
the first problem found is the error, with the releases that refuse the file.

`validate` applies the rules the engine applies to task inputs and outputs, with its message
forms: only declared parameters are checked, a missing or null value is an error unless the
parameter is optional, ``Object`` means a JSON object or array, and problems are joined by ``. ``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Final, Literal

import yaml

from .._engine_texts import NOT_OF_TYPE, REQUIRED
from .._errors import MesgPusherError
from ._check import Finding, Verdict, check_tree, read_yaml
from ._releases import Release, between, spans

ParameterType = Literal["String", "Number", "Boolean", "Object"]
TYPES: Final[tuple[ParameterType, ...]] = ("String", "Number", "Boolean", "Object")
#: The oldest release a first-generation definition is for: every one (v0.1), or v0.6 to v0.9.1
#: (which read configuration.env).
OldestRelease = Literal["v0.1", "v0.6"]
#: The first generation's releases each `OldestRelease` stands for.
FIRST_GENERATION: Final[Mapping[OldestRelease, tuple[Release, ...]]] = {
    "v0.1": between(Release(1, 0), Release(9, 1)),
    "v0.6": between(Release(6, 0), Release(9, 1)),
}
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
class Container:
    """``configuration`` (the service's own container) or a dependency."""

    image: str = ""
    command: str = ""
    args: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()
    volumes_from: tuple[str, ...] = ()
    ports: tuple[str, ...] = ()
    env: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ServiceDefinition:
    name: str
    tasks: Mapping[str, Task] = field(default_factory=dict)
    description: str = ""
    repository: str = ""
    events: Mapping[str, Output] = field(default_factory=dict)
    sid: str = ""
    configuration: Container = field(default_factory=Container)
    dependencies: Mapping[str, Container] = field(default_factory=dict)


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


def parse_tree(text: str) -> Any:
    """The YAML tree of mesg.yml `text`; a `DefinitionError` when no engine reads it as YAML."""
    try:
        return read_yaml(text)
    except yaml.YAMLError as error:
        raise DefinitionError(f"mesg.yml is not valid YAML: {error}") from None
    except RecursionError:
        raise DefinitionError("mesg.yml is nested too deeply") from None
    except ValueError as error:  # what else the YAML reader refuses (a date like 2019-13-45)
        raise DefinitionError(f"mesg.yml: {error}") from None


def grouped(verdicts: Sequence[Verdict], *, warnings: bool = False) -> list[tuple[Finding, str]]:
    """The findings of `verdicts` (problems, or warnings), each once, with the releases that
    give it (``v0.1.0 to v0.2.0``), in the order first found."""
    found: dict[Finding, list[Release]] = {}
    for verdict in verdicts:
        for finding in verdict.warnings if warnings else verdict.problems:
            found.setdefault(finding, []).append(verdict.release)
    return [(finding, spans(releases)) for finding, releases in found.items()]


def load(text: str, *, engine: OldestRelease = "v0.1") -> ServiceDefinition:
    """Parse mesg.yml `text` and check it with the rules of every first-generation release
    from `engine` on; the definition, or a `DefinitionError` naming the first problem."""
    tree = parse_tree(text)
    problems = grouped([check_tree(tree, release) for release in FIRST_GENERATION[engine]])
    if problems:
        finding, releases = problems[0]
        raise DefinitionError(f"mesg.yml: {finding} ({releases})")
    return _definition(tree)


def load_packaged() -> ServiceDefinition:
    """The definition shipped with this package (the service directory's mesg.yml)."""
    return load(packaged_text())


def packaged_text() -> str:
    """The text of the packaged mesg.yml."""
    return resources.files("mesg_pusher").joinpath("mesg.yml").read_text("utf-8")


# The tree below has passed the rules of the first generation: its shapes are known.


def _definition(tree: dict[str, Any]) -> ServiceDefinition:
    return ServiceDefinition(
        name=str(tree["name"]),
        tasks={str(k): _task(str(k), v) for k, v in (tree.get("tasks") or {}).items()},
        description=_text(tree, "description"),
        repository=_text(tree, "repository"),
        events={str(k): _output(str(k), v) for k, v in (tree.get("events") or {}).items()},
        sid=_text(tree, "sid"),
        configuration=_container(tree.get("configuration") or {}),
        dependencies={str(k): _container(v) for k, v in (tree.get("dependencies") or {}).items()},
    )


def _task(key: str, body: dict[str, Any]) -> Task:
    return Task(
        key=key,
        inputs=_parameters(body.get("inputs")),
        outputs={str(k): _output(str(k), v) for k, v in body["outputs"].items()},
        description=_text(body, "description"),
        name=_text(body, "name"),
    )


def _output(key: str, body: dict[str, Any]) -> Output:
    return Output(
        key=key,
        data=_parameters(body.get("data")),
        description=_text(body, "description"),
        name=_text(body, "name"),
    )


def _parameters(raw: dict[str, Any] | None) -> dict[str, Parameter]:
    return {
        str(key): Parameter(
            key=str(key),
            type=body["type"],
            description=_text(body, "description"),
            name=_text(body, "name"),
            optional=bool(body.get("optional", False)),
        )
        for key, body in (raw or {}).items()
    }


def _container(body: dict[str, Any]) -> Container:
    def texts(key: str) -> tuple[str, ...]:
        return tuple(str(item) for item in body.get(key) or ())

    return Container(
        image=_text(body, "image"),
        command=_text(body, "command"),
        args=texts("args"),
        volumes=texts("volumes"),
        volumes_from=texts("volumesfrom"),
        ports=texts("ports"),
        env=texts("env"),
    )


def _text(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    return "" if value is None else str(value)
