"""The definition of engines v0.10.0 to v0.26.0, made from the first generation's one.

From v0.10 a task has one output, its success data (a failure travels as the execution's error
text), and a parameter may be ``repeated``, hold an ``object`` of parameters, or be of type
``Any``; ``Object`` then means a JSON object only (the first generation took an array too). So
`later_definition` takes each task's one non-``error`` output as its outputs and keeps every
parameter as it is, except those `SHAPES` describes: what an ``Object`` of mesg.yml really
holds, said in the later engines' words. Every ``Object`` parameter of mesg.yml has an entry
there (a test holds that), so a new one needs a decision; any other parameter added to mesg.yml
reaches every generated definition as it is.

``sid`` is the original service's, ``com.mesg.pusher``, so an application that resolved the
original finds this one. v0.26.0 also wants a ``price`` on each task. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

import yaml

from ._definition import Container, DefinitionError, Parameter, ServiceDefinition
from ._releases import Release, spans

LaterType = Literal["String", "Number", "Boolean", "Object", "Any"]
#: The original service's id (Roms1383/mesg-pusher v3's mesg.yml).
SID: Final = "com.mesg.pusher"
#: The output that becomes the execution's error text from v0.10.
ERROR_OUTPUT: Final = "error"


@dataclass(frozen=True, slots=True)
class LaterParameter:
    """A parameter as engines v0.10 and later declare it."""

    key: str
    type: LaterType
    description: str = ""
    name: str = ""
    optional: bool = False
    repeated: bool = False
    object: Mapping[str, LaterParameter] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LaterTask:
    key: str
    inputs: Mapping[str, LaterParameter]
    outputs: Mapping[str, LaterParameter]
    description: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class LaterEvent:
    key: str
    data: Mapping[str, LaterParameter]
    description: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class Price:
    """What an execution of a task costs on v0.26.0's network: per call, per second, per KB
    of inputs and outputs (whole numbers of the chain's smallest unit)."""

    per_call: int = 0
    per_sec: int = 0
    per_kb: int = 0

    def __post_init__(self) -> None:
        if min(self.per_call, self.per_sec, self.per_kb) < 0:
            raise ValueError("a price is zero or more")


@dataclass(frozen=True, slots=True)
class LaterDefinition:
    name: str
    sid: str
    tasks: Mapping[str, LaterTask]
    events: Mapping[str, LaterEvent]
    description: str = ""
    repository: str = ""
    configuration: Container = field(default_factory=Container)
    dependencies: Mapping[str, Container] = field(default_factory=dict)
    #: Each task's price (v0.26.0), or None for the releases before it.
    price: Price | None = None


@dataclass(frozen=True, slots=True)
class Shape:
    """What an ``Object`` parameter of mesg.yml holds."""

    type: LaterType
    repeated: bool = False
    object: Mapping[str, LaterParameter] = field(default_factory=dict)


def _fields(*parameters: LaterParameter) -> dict[str, LaterParameter]:
    return {parameter.key: parameter for parameter in parameters}


#: Each ``Object`` parameter of mesg.yml, by its path in the later form.
SHAPES: Final[Mapping[str, Shape]] = {
    "tasks.trigger.inputs.channels": Shape("String", repeated=True),
    "tasks.trigger.inputs.data": Shape("Any"),  # an object or an array: the service checks
    "tasks.sendToUser.inputs.data": Shape("Any"),
    "tasks.triggerBatch.inputs.batch": Shape(
        "Object",
        repeated=True,
        object=_fields(
            LaterParameter("name", "String", "the event name"),
            LaterParameter("channel", "String", "the channel to publish to"),
            LaterParameter("data", "Any", "the event data: a string as it is, else as JSON"),
            LaterParameter("socket_id", "String", "a connection to leave out", optional=True),
            LaterParameter("info", "String", "channel attributes to answer", optional=True),
        ),
    ),
    "tasks.channels.inputs.params": Shape("Object"),
    "tasks.channel.inputs.params": Shape("Object"),
    "tasks.authorizeChannel.inputs.channel_data": Shape("Object"),
    "tasks.authenticateUser.inputs.user_data": Shape(
        "Object", object=_fields(LaterParameter("id", "String", "the user's id, not empty"))
    ),
    "tasks.trigger.outputs.channels": Shape("Object"),  # channel name to attributes
    "tasks.triggerBatch.outputs.batch": Shape("Object", repeated=True),
    "tasks.channels.outputs.channels": Shape("Object"),
    "tasks.channel.outputs.cache": Shape("Object"),
    "tasks.users.outputs.users": Shape("Object", repeated=True),
    # The member's user_info as the app's auth endpoint signed it: a JSON object.
    "events.member_added.data.user_info": Shape("Object"),
    "events.member_removed.data.user_info": Shape("Object"),
}


def env_entry(variable: str) -> str:
    """A ``configuration.env`` entry: ``NAME=VALUE`` as it is, a bare ``NAME`` with an empty
    default (the engine then passes ``NAME=``, which the service reads as unset)."""
    return variable if "=" in variable else f"{variable}="


def later_definition(
    definition: ServiceDefinition,
    *,
    variables: Sequence[str] = (),
    price: Price | None = None,
    sid: str = SID,
) -> LaterDefinition:
    """`definition` in the form of engines v0.10 and later, declaring `variables` under
    ``configuration.env`` (see `env_entry`) and, for v0.26.0, `price` on each task."""
    tasks = {}
    for key, task in definition.tasks.items():
        kept = [output for name, output in task.outputs.items() if name != ERROR_OUTPUT]
        if len(kept) != 1:
            raise DefinitionError(
                f"mesg.yml: tasks.{key}: engines v0.10 and later take one output per task (its "
                f"success data); it has {len(kept)} besides error"
            )
        where = f"tasks.{key}"
        tasks[key] = LaterTask(
            key,
            _parameters(task.inputs, f"{where}.inputs"),
            _parameters(kept[0].data, f"{where}.outputs"),
            task.description,
            task.name,
        )
    events = {
        key: LaterEvent(
            key, _parameters(event.data, f"events.{key}.data"), event.description, event.name
        )
        for key, event in definition.events.items()
    }
    return LaterDefinition(
        name=definition.name,
        sid=sid,
        tasks=tasks,
        events=events,
        description=definition.description,
        repository=definition.repository,
        configuration=replace(
            definition.configuration, image="", env=tuple(map(env_entry, variables))
        ),
        dependencies=definition.dependencies,
        price=price,
    )


def _parameters(parameters: Mapping[str, Parameter], where: str) -> dict[str, LaterParameter]:
    later = {}
    for key, parameter in parameters.items():
        shape = SHAPES.get(f"{where}.{key}") if parameter.type == "Object" else None
        later[key] = LaterParameter(
            key,
            shape.type if shape else parameter.type,
            parameter.description,
            parameter.name,
            parameter.optional,
            shape.repeated if shape else False,
            shape.object if shape else {},
        )
    return later


def render_later(definition: LaterDefinition, releases: Sequence[Release]) -> str:
    """The mesg.yml text of `definition`, with a first line naming `releases`."""
    tree: dict[str, Any] = {"name": definition.name, "sid": definition.sid}
    if definition.description:
        tree["description"] = definition.description
    if definition.repository:
        tree["repository"] = definition.repository
    tree["tasks"] = {key: _task(task, definition.price) for key, task in definition.tasks.items()}
    if definition.events:
        tree["events"] = {
            key: _described(event.name, event.description, data=_tree(event.data))
            for key, event in definition.events.items()
        }
    if definition.dependencies:
        tree["dependencies"] = {k: _container(v) for k, v in definition.dependencies.items()}
    if configuration := _container(definition.configuration):
        tree["configuration"] = configuration
    header = (
        f"# For MESG engines {spans(releases)}. Generated from mesg.yml by `mesg-pusher "
        "gen-definition` (or `service-dir`): edit mesg.yml, then regenerate.\n"
    )
    return header + yaml.safe_dump(tree, sort_keys=False, width=1 << 20, allow_unicode=False)


def _task(task: LaterTask, price: Price | None) -> dict[str, Any]:
    body = _described(task.name, task.description)
    if task.inputs:
        body["inputs"] = _tree(task.inputs)
    body["outputs"] = _tree(task.outputs)
    if price is not None:
        body["price"] = {
            "perCall": str(price.per_call),
            "perSec": str(price.per_sec),
            "perKB": str(price.per_kb),
        }
    return body


def _container(container: Container) -> dict[str, Any]:
    fields = {
        "image": container.image,
        "command": container.command,
        "args": list(container.args),
        "volumes": list(container.volumes),
        "volumesFrom": list(container.volumes_from),
        "ports": list(container.ports),
        "env": list(container.env),
    }
    return {key: value for key, value in fields.items() if value}


def _described(name: str, description: str, **rest: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name} if name else {}
    if description:
        body["description"] = description
    return {**body, **rest}


def _tree(parameters: Mapping[str, LaterParameter]) -> dict[str, Any]:
    tree = {}
    for key, parameter in parameters.items():
        body = _described(parameter.name, parameter.description, type=parameter.type)
        if parameter.optional:
            body["optional"] = True
        if parameter.repeated:
            body["repeated"] = True
        if parameter.object:
            body["object"] = _tree(parameter.object)
        tree[key] = body
    return tree
